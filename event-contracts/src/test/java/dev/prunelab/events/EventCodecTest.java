package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {

    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private final EventCodec codec = new EventCodec();

    static final String RUN = """
            {"schemaVersion":1,"type":"run.requested","runId":"run-1","occurredAt":"2026-01-31T12:00:00Z",
             "model":{"path":"../shared/data/models/stories260K/stories260K.bin"},
             "prune":{"method":"wanda","sparsity":0.5},
             "calibration":{"samples":16,"seed":0},
             "evaluation":{"perplexity":{"protocol":"paragraphs","window":256},"tasks":{"names":["piqa","copa"],"limit":50}}}
            """;

    private String problemOf(String json) {
        return assertThrows(InvalidEventException.class, () -> codec.decode(json)).getMessage();
    }

    private String runWith(String from, String to) {
        assertTrue(RUN.contains(from), from);
        return RUN.replace(from, to);
    }

    @Test
    void versionOneAndTwoAreReadAndTwoIsWritten() {
        RunRequested v1 = codec.decode(RUN, RunRequested.class);
        RunRequested v2 = codec.decode(runWith("\"schemaVersion\":1", "\"schemaVersion\":2"), RunRequested.class);
        assertEquals(v1, v2);
        assertTrue(codec.encode(v1).startsWith("{\"schemaVersion\":2,"), codec.encode(v1));
    }

    @Test
    void decodesARunRequestWithDefaults() {
        RunRequested run = codec.decode(RUN, RunRequested.class);
        assertEquals("run-1", run.key());
        assertEquals(T, run.occurredAt());
        assertEquals(PruneMethod.WANDA, run.prune().method());
        assertEquals(0.5, run.prune().sparsity());
        assertEquals("uniform", run.prune().layerSparsity().id());
        assertEquals("f32", run.prune().dtype().id());
        assertEquals("cpu", run.evaluation().provider().id());
        assertEquals(List.of("piqa", "copa"), run.evaluation().tasks().names());
        assertEquals(Topics.RUN_REQUESTED, Topics.of(run));
    }

    @Test
    void everyEventRoundTripsToTheSameBytes() {
        ArtifactRef artifact = new ArtifactRef("file:/srv/artifacts/run-1", "a".repeat(64), 1234);
        MeasurementWindow window = new MeasurementWindow(T, T.plusSeconds(30), "lab-1", "cpu", "cpu");
        List<Event> events = List.of(
                codec.decode(RUN),
                new RunProgress("run-1", T, RunStage.CALIBRATE, 0.25, "block 2 of 8"),
                new ModelPruned("run-1", T, artifact, new PruneSummary("wanda", "wanda 0.5", 0.5, 0.5, 260_000L,
                        140_000L, 3.5, 200_000_000L), new EvaluationSpec(new PerplexitySpec(null, null, 128, 16),
                        null, null, null, null)),
                new ModelEvaluated("run-1", T, new EvaluationMetrics(7.1, 0.55, 12.0, 1.5, 660.0, 1_100_000L,
                        300_000_000L, null), window),
                new PowerSample(T, "lab-1", "cpu", 31.5, EnergySource.ESTIMATE, "cpu utilisation x TDP 65 W"),
                new RunFailed("run-1", T, RunStage.PRUNE, "model.path: /x does not exist", null),
                new SweepCancelled("sweep-1", T, "superseded by sweep-2"));
        for (Event event : events) {
            String json = codec.encode(event);
            assertTrue(json.startsWith("{\"schemaVersion\":" + Event.SCHEMA_VERSION + ",\"type\":\"" + event.type() + "\""), json);
            Event back = codec.decode(json);
            assertEquals(event, back);
            assertEquals(json, codec.encode(back));
        }
    }

    /** A run request with one value changed, and the one-line problem its decoding names. */
    static Stream<Arguments> badRunRequests() {
        return Stream.of(
                Arguments.of("\"wanda\"", "\"lottery\"",
                        "prune.method: unknown method 'lottery' (expected magnitude|wanda|sparsegpt|ria|structured)"),
                Arguments.of("0.5", "1.5",
                        "prune.sparsity: 1.5 is outside [0, 1)"),
                Arguments.of("0.5", "1",
                        "prune.sparsity: 1.0 is outside [0, 1)"),
                Arguments.of("0.5", "-0.1",
                        "prune.sparsity: -0.1 is outside [0, 1)"),
                Arguments.of("0.5", "\"half\"",
                        "prune.sparsity: expected a number, got 'half'"),
                Arguments.of("\"sparsity\":0.5", "\"pattern\":\"4:4\"",
                        "prune.pattern: 4:4 has N >= M; N must be below M (2:4 keeps 2 of every 4)"),
                Arguments.of("\"sparsity\":0.5", "\"pattern\":\"two of four\"",
                        "prune.pattern: 'two of four' is not an N:M pattern such as 2:4"),
                Arguments.of("\"sparsity\":0.5", "\"sparsity\":0.5,\"pattern\":\"2:4\"",
                        "prune.sparsity: give exactly one of sparsity or pattern for method wanda"),
                Arguments.of("\"path\":\"../shared/data/models/stories260K/stories260K.bin\"", "\"tokenizer\":\"t.bin\"",
                        "model.path: is missing"),
                Arguments.of("\"copa\"", "\"mmlu\"",
                        "evaluation.tasks.names[1]: unknown task 'mmlu' (expected lambada_openai|hellaswag|piqa|arc_easy|arc_challenge|boolq|winogrande|openbook_qa|copa|all)"),
                Arguments.of("\"samples\":16", "\"samples\":0",
                        "calibration.samples: 0 must be positive"),
                Arguments.of("\"2026-01-31T12:00:00Z\"", "\"yesterday\"",
                        "occurredAt: expected an ISO-8601 instant such as 2026-01-31T12:00:00Z, got 'yesterday'"),
                Arguments.of("\"run-1\"", "\"../etc\"",
                        "runId: '../etc' must be 1 to 128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit"),
                Arguments.of("\"schemaVersion\":1", "\"schemaVersion\":3",
                        "schemaVersion: 3 is not supported (this build reads 1, 2)"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("badRunRequests")
    void problemsNameTheFieldAndTheProblem(String from, String to, String problem) {
        assertEquals(problem, problemOf(runWith(from, to)));
    }

    @Test
    void problemsOfTheWholeRecordNameIt() {
        assertTrue(problemOf(runWith("\"model\":", "\"modle\":")).startsWith("modle: unknown field (known: "));
        assertTrue(problemOf(runWith("run.requested", "run.started"))
                .startsWith("type: unknown event type 'run.started' (expected one of "));
        assertTrue(problemOf("{\"schemaVersion\":1, \"type\":").startsWith("(json): not valid JSON at line 1"));
        assertEquals("(json): expected a JSON object, got array", problemOf("[1,2]"));
        assertEquals("(json): the payload is empty", problemOf(" "));
    }

    @Test
    void unknownFieldsAreRefusedWithTheirPath() {
        assertEquals("prune.spars1ty: unknown field (known: dtype, layerSparsity, method, pattern, refine, sparsity, structured, weightBits, weightBlock, weightBudget, weightQuantizer)",
                problemOf(runWith("\"sparsity\":0.5", "\"sparsity\":0.5,\"spars1ty\":0.5")));
        assertTrue(problemOf(runWith("\"tasks\"", "\"evaluaton\":1,\"tasks\""))
                .startsWith("evaluation.evaluaton: unknown field"), problemOf(runWith("\"tasks\"", "\"evaluaton\":1,\"tasks\"")));
        assertTrue(problemOf(runWith("\"samples\":16", "\"samples\":16,\"sample\":16"))
                .startsWith("calibration.sample: unknown field (known: "));
        assertTrue(problemOf(runWith("\"runId\"", "\"color\":\"red\",\"runId\"")).startsWith("color: unknown field"));
        assertTrue(problemOf(runWith("\"names\"", "\"nams\":[],\"names\"")).startsWith("evaluation.tasks.nams: unknown field"));
        String sweep = "{\"sweepId\":\"s\",\"model\":{\"path\":\"m.bin\"},\"methods\":[\"wanda\"],\"spars1ties\":[0.5]}";
        String problem = assertThrows(InvalidEventException.class, () -> codec.decodeSweep(sweep)).getMessage();
        assertTrue(problem.startsWith("spars1ties: unknown field (known: "), problem);
    }

    @Test
    void scalarsOfTheWrongKindAreRefused() {
        assertEquals("prune.sparsity: expected a number, got '0.5'", problemOf(runWith("0.5", "\"0.5\"")));
        assertEquals("calibration.samples: expected an integer, got '16'", problemOf(runWith("\"samples\":16", "\"samples\":\"16\"")));
        assertTrue(problemOf(runWith("\"samples\":16", "\"samples\":16.5")).startsWith("calibration.samples: expected an integer"),
                problemOf(runWith("\"samples\":16", "\"samples\":16.5")));
        assertTrue(problemOf(runWith("\"seed\":0", "\"seed\":0,\"window\":true")).startsWith("calibration.window: expected an integer"));
        assertTrue(problemOf(runWith("\"../shared/data/models/stories260K/stories260K.bin\"", "5")).startsWith("model.path: expected a string"),
                problemOf(runWith("\"../shared/data/models/stories260K/stories260K.bin\"", "5")));
        String structured = runWith("\"method\":\"wanda\",\"sparsity\":0.5", "\"method\":\"structured\",\"structured\":"
                + "{\"target\":\"mlp\",\"ratio\":0.3,\"score\":\"flap\",\"biasCompensation\":\"true\"}");
        assertEquals("prune.structured.biasCompensation: expected true or false, got 'true'", problemOf(structured));
    }

    @Test
    void malformedJsonIsOneLineWithoutParserInternals() {
        for (String bad : List.of(runWith("0.5", "NaN"), runWith("0.5", "-Infinity"), "{\"a\":", "{\"a\" 1}", "nope",
                "{\"a\":1} {\"b\":2}", "{\"a\":1,\"a\":2}", "{\"a\":01}", "{\"a\":\"x\ty\"}")) {
            String problem = problemOf(bad);
            assertTrue(problem.startsWith("(json): not valid JSON at line "), problem);
            assertTrue(!problem.contains("\n") && !problem.contains("`") && !problem.contains("Source")
                    && !problem.contains("jackson") && !problem.contains("Feature"), problem);
        }
        assertTrue(problemOf(runWith("0.5", "NaN")).endsWith(": NaN is not a JSON number"), problemOf(runWith("0.5", "NaN")));
        assertTrue(problemOf("{\"a\":1,\"a\":2}").endsWith(": field 'a' appears twice"));
        assertTrue(problemOf("nope").endsWith(": unrecognized token 'nope'"), problemOf("nope"));
    }

    @Test
    void theQuantizerAndAWeightBudgetTravelWithFourBitWeightsOnly() {
        String gptq = runWith("\"sparsity\":0.5", "\"pattern\":\"2:4\",\"weightBits\":4,\"weightQuantizer\":\"gptq\","
                + "\"weightBudget\":14680064");
        RunRequested decoded = codec.decode(gptq, RunRequested.class);
        assertEquals(dev.prunelab.vocabulary.WeightQuantizer.GPTQ, decoded.prune().weightQuantizer());
        assertEquals(14680064L, decoded.prune().weightBudget());
        assertEquals("wanda 2:4 w4 gptq budget 14680064 B", decoded.prune().label());
        // the default quantizer named is the default absent: the same prune, the same label
        RunRequested named = codec.decode(runWith("\"sparsity\":0.5", "\"sparsity\":0.5,\"weightBits\":4,"
                + "\"weightQuantizer\":\"rtn-symmetric\""), RunRequested.class);
        RunRequested absent = codec.decode(runWith("\"sparsity\":0.5", "\"sparsity\":0.5,\"weightBits\":4"),
                RunRequested.class);
        assertEquals(absent.prune(), named.prune());
        assertEquals("prune.weightBudget: chooses which blocks of an unstructured or N:M prune keep float weights "
                + "among 4-bit ones; it needs weightBits 4",
                problemOf(runWith("\"sparsity\":0.5", "\"sparsity\":0.5,\"weightBudget\":1000")));
        assertEquals("prune.weightQuantizer: gptq is only for weightBits 4 (the weights are float)",
                problemOf(runWith("\"sparsity\":0.5", "\"sparsity\":0.5,\"weightQuantizer\":\"gptq\"")));
        assertEquals("prune.weightQuantizer: gptq is for unstructured and N:M prunes",
                problemOf(runWith("\"method\":\"wanda\",\"sparsity\":0.5", "\"method\":\"structured\",\"structured\":"
                        + "{\"target\":\"mlp\",\"ratio\":0.3,\"score\":\"flap\"},\"weightBits\":4,\"weightQuantizer\":\"gptq\"")));
    }

    @Test
    void structuredRequestsAreCheckedAsThePrunerChecksThem() {
        String structured = runWith("\"method\":\"wanda\",\"sparsity\":0.5",
                "\"method\":\"structured\",\"structured\":{\"target\":\"mlp\",\"ratio\":0.3,\"score\":\"SCORE\"}");
        RunRequested ok = codec.decode(structured.replace("SCORE", "flap"), RunRequested.class);
        assertEquals("uniform", ok.prune().structured().allocation().id());
        assertEquals(true, ok.prune().structured().biasCompensation());
        assertEquals("structured mlp 0.3 flap", ok.prune().label());
        assertEquals("prune.structured.score: block-influence ranks whole blocks; it needs target blocks, not mlp",
                problemOf(structured.replace("SCORE", "block-influence")));
        assertEquals("prune.structured.ratio: 1.0 is outside [0, 1)",
                problemOf(structured.replace("SCORE", "flap").replace("0.3", "1.0")));
        assertEquals("prune.structured.allocation: global is not available for target blocks "
                + "(blocks are ranked over the whole model)",
                problemOf(structured.replace("\"mlp\"", "\"blocks\"").replace("SCORE", "block-influence\",\"allocation\":\"global")));
        assertEquals("prune.structured: is missing", problemOf(runWith("\"method\":\"wanda\",\"sparsity\":0.5",
                "\"method\":\"structured\"")));
        assertEquals("prune.sparsity: is not used by method structured (give structured.ratio)",
                problemOf(runWith("\"method\":\"wanda\"", "\"method\":\"structured\"")));
    }

    @Test
    void otherEventsAreValidatedToo() {
        String progress = "{\"schemaVersion\":1,\"type\":\"run.progress\",\"runId\":\"r\",\"occurredAt\":\"2026-01-31T12:00:00Z\",\"stage\":\"export\"}";
        assertEquals("fraction: is missing", problemOf(progress));
        assertEquals("fraction: 1.5 is outside [0, 1]", problemOf(progress.replace("}", ",\"fraction\":1.5}")));
        String power = "{\"schemaVersion\":1,\"type\":\"power.sample\",\"occurredAt\":\"2026-01-31T12:00:00Z\",\"host\":\"h\",\"device\":\"cpu\",\"watts\":12.5,\"source\":\"estimate\"}";
        assertEquals("basis: is missing", problemOf(power));
        assertEquals("source: unknown source 'guess' (expected nvml|rapl|estimate)", problemOf(power.replace("estimate", "guess")));
        assertEquals("h/cpu", codec.decode(power.replace("estimate", "rapl")).key());
        String evaluated = "{\"schemaVersion\":1,\"type\":\"model.evaluated\",\"runId\":\"r\",\"occurredAt\":\"2026-01-31T12:00:00Z\","
                + "\"metrics\":{\"perplexity\":0.5},\"window\":{\"start\":\"2026-01-31T12:00:00Z\",\"end\":\"2026-01-31T11:00:00Z\",\"host\":\"h\",\"device\":\"cpu\"}}";
        assertEquals("metrics.perplexity: 0.5 must be a finite number >= 1", problemOf(evaluated));
        assertEquals("window.end: 2026-01-31T11:00:00Z is before start 2026-01-31T12:00:00Z",
                problemOf(evaluated.replace("0.5", "5.5")));
        String pruned = "{\"schemaVersion\":1,\"type\":\"model.pruned\",\"runId\":\"r\",\"occurredAt\":\"2026-01-31T12:00:00Z\","
                + "\"artifact\":{\"uri\":\"file:/a/r\",\"sha256\":\"ABC\",\"sizeBytes\":1},\"report\":{\"method\":\"wanda\"}}";
        assertEquals("artifact.sha256: 'ABC' is not 64 lower-case hex digits", problemOf(pruned));
    }

    @Test
    void aTopicRefusesAnotherTypeAndTheDeadLetterKeepsAnExcerptOfThePayload() {
        String power = "{\"schemaVersion\":1,\"type\":\"power.sample\",\"occurredAt\":\"2026-01-31T12:00:00Z\",\"host\":\"h\",\"device\":\"cpu\",\"watts\":1,\"source\":\"rapl\"}";
        InvalidEventException wrong = assertThrows(InvalidEventException.class, () -> codec.decode(power, RunRequested.class));
        assertEquals("type: 'power.sample' does not belong here (expected run.requested)", wrong.getMessage());

        String bad = runWith("0.5", "1.5");
        InvalidEventException e = assertThrows(InvalidEventException.class, () -> codec.decode(bad));
        RunFailed dead = RunFailed.invalidInput(e, T);
        assertEquals("run-1", dead.runId());
        assertEquals(RunStage.DECODE, dead.stage());
        assertEquals(new RunFailed.Excerpt(bad, bad.length(), false), dead.excerpt(), "short: all of it");
        assertInstanceOf(RunFailed.class, codec.decode(codec.encode(dead)));

        InvalidEventException garbage = assertThrows(InvalidEventException.class, () -> codec.decode("not json"));
        assertTrue(garbage.runId().matches("invalid-[0-9a-f]{16}"), garbage.runId());
        assertEquals(garbage.runId(), assertThrows(InvalidEventException.class, () -> codec.decode("not json")).runId());
    }

    @Test
    void cloudEventHeadersAreStablePerEvent() {
        RunProgress progress = new RunProgress("run-1", T, RunStage.EXPORT, 1.0, null);
        var headers = CloudEvents.headers(progress, "/prunelab/pruner-service");
        assertEquals("run.progress:run-1:2026-01-31T12:00:00Z", headers.get(CloudEvents.ID));
        assertEquals("dev.prunelab.run.progress", headers.get(CloudEvents.TYPE));
        assertEquals("1.0", headers.get(CloudEvents.SPEC_VERSION));
        assertEquals("2026-01-31T12:00:00Z", headers.get(CloudEvents.TIME));
        assertEquals("/prunelab/pruner-service", headers.get(CloudEvents.SOURCE));
        assertEquals(headers, CloudEvents.headers(progress, "/prunelab/pruner-service"));
    }
}
