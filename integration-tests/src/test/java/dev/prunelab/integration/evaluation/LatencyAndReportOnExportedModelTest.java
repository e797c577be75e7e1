package dev.prunelab.integration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.cli.LabCli;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.speed.LatencyBenchmark.BatchLatency;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.speed.Percentiles;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.ExecutionProvider;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Latency figures and the result document from {@code ./lab eval} on an STORIES.directory() stories260K. */
class LatencyAndReportOnExportedModelTest {
    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    static Path temp;

    /** One intra-op thread: nothing here depends on how many cores the machine has or how busy they are. */
    static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);

    /** A timing the machine decides: present and a real, non-negative number; its size is a benchmark's business. */
    static void assertTiming(double value, String what) {
        assertTrue(Double.isFinite(value) && value >= 0, what + " = " + value);
    }

    static void assertTiming(JsonNode value, String what) {
        assertTrue(value.isNumber(), what + " is missing: " + value);
        assertTiming(value.asDouble(), what);
    }

    @Test
    void latencyFiguresAreSaneAndConsistent() {
        int newTokens = 8;
        try (DecoderSession session = DecoderSession.open(STORIES.directory(), ONE_THREAD)) {
            var settings = new LatencyBenchmark.Settings(16, newTokens, List.of(1, 8), 3, 1, 7);
            int[] runs = new int[1];
            List<BatchLatency> results = LatencyBenchmark.run(session, settings, done -> runs[0] = done);
            assertEquals(settings.runs(), runs[0]);
            assertEquals(2, results.size());
            for (BatchLatency row : results) {
                for (Percentiles p : List.of(row.ttftMillis(), row.tpotMillis(), row.outputTokensPerSecond(),
                        row.decodeTokensPerSecond())) {
                    assertTiming(p.median(), "median of " + row);
                    assertTrue(p.p90() >= p.median() && p.max() >= p.p90() && p.samples() == 3, row.toString());
                }
                // per sequence, decode tokens/s x TPOT = 1 (odd repeats: the median of 1/x is 1/median)
                double perSequence = row.decodeTokensPerSecond().median() / row.batch();
                assertEquals(1.0, perSequence * row.tpotMillis().median() / 1e3, 1e-9, row.toString());
                // (output tokens/s against TTFT and TPOT compares medians of separate timed runs: a benchmark
                // figure that a loaded machine moves, so it is reported, not asserted)
            }
        }
    }

    @Test
    void spinningIsOnlyWhatTheUserAskedForAndTheDocumentSaysSo() throws Exception {
        Path json = temp.resolve("spin.json");
        assertEquals(0, LabCli.run("eval", "--model", STORIES.directory().toString(), "--latency", "--prompt-tokens", "4",
                "--new-tokens", "2", "--batch", "1", "--repeats", "1", "--threads", "2", "--spin", "--json",
                json.toString()));
        JsonNode root = new ObjectMapper().readTree(Files.readString(json));
        assertTrue(root.at("/runtime/spinning").asBoolean());
        assertEquals(2, root.at("/runtime/threads").asInt());
    }

    @Test
    void evalWritesTheVersion3DocumentWithEverySection() throws Exception {
        Path json = temp.resolve("result.json");
        Path lmEval = temp.resolve("lm-eval.json");
        int code = LabCli.run("eval", "--model", STORIES.directory().toString(), "--perplexity",
                SharedData.path("text/tinystories/validation.txt").toString(), "--window", "64", "--max-windows", "2",
                "--tasks", "copa,lambada_openai,openbook_qa", "--limit", "4", "--latency", "--prompt-tokens", "8",
                "--new-tokens", "4", "--batch", "1,2", "--repeats", "1", "--energy", "--energy-prompt-tokens", "8",
                "--energy-decode-tokens", "16", "--energy-repeats", "3", "--energy-baseline-seconds", "0.2",
                // the source this test asks for, not this machine's counters; a lock of its own, not the shell's
                // $PRUNELAB_HOST_LOCK (a lab running on the host would otherwise be paused, or pause this)
                "--energy-source", "estimate", "--host-lock", temp.resolve("host-lock").toString(),
                "--threads", "1", "--json", json.toString(), "--lm-eval-json", lmEval.toString());
        assertEquals(0, code);
        JsonNode root = new ObjectMapper().readTree(Files.readString(json));
        assertEquals(3, root.get("schemaVersion").asInt());
        assertEquals(3, root.at("/energy/summary/workload/repeats").asInt());
        assertEquals(16, root.at("/energy/summary/workload/decodeTokens").asInt());
        assertEquals("estimate", root.at("/energy/summary/source").asText());
        assertTiming(root.at("/energy/summary/decodeJoulesPerToken/gross/mean"), "decode J/token (CPU time x watts)");
        assertEquals(3, root.at("/energy/repeats").size());
        assertTrue(root.at("/energy/summary/start").isTextual(), "instants are ISO-8601 text");
        JsonNode harness = new ObjectMapper().readTree(Files.readString(lmEval));
        assertEquals(root.at("/zeroShot/tasks/0/acc").asDouble(), harness.at("/results/copa/acc,none").asDouble());
        assertEquals(root.at("/zeroShot/tasks/0/accStderr").asDouble(),
                harness.at("/results/copa/acc_stderr,none").asDouble());
        assertEquals(root.at("/zeroShot/tasks/0/accNorm").asDouble(), harness.at("/results/copa/acc_norm,none").asDouble());
        assertTrue(harness.at("/results/lambada_openai/perplexity,none").asDouble() > 1);
        assertTrue(harness.at("/results/openbookqa/acc,none").isNumber(), "the harness's name for openbook_qa");
        assertEquals(0, harness.at("/n-shot/copa").asInt());
        assertEquals(4, harness.at("/n-samples/copa/effective").asInt());
        assertEquals(64, root.at("/model/sha256").asText().length());
        assertEquals(Files.size(STORIES.directory().resolve("model.onnx")), root.at("/model/sizeBytes").asLong());
        assertEquals(root.at("/model/parameterCount").asLong(), root.at("/model/nonZeroParameterCount").asLong());
        assertEquals("cpu", root.get("provider").asText());
        assertEquals(1, root.at("/runtime/threads").asInt());
        assertTrue(root.at("/runtime/spinning").isBoolean() && !root.at("/runtime/spinning").asBoolean(),
                "pool threads never spin unless asked");
        assertTrue(root.at("/host/cpus").asInt() > 0);
        Instant.parse(root.get("startedAt").asText()); // ISO-8601 instants (their order is the wall clock's)
        Instant.parse(root.get("endedAt").asText());
        assertEquals(64, root.at("/perplexity/window").asInt());
        assertTrue(root.at("/perplexity/perplexity").asDouble() > 1);
        assertEquals(3, root.at("/zeroShot/tasks").size());
        assertEquals(4, root.at("/zeroShot/limit").asInt());
        assertEquals("copa", root.at("/zeroShot/tasks/0/task").asText());
        assertTrue(root.at("/zeroShot/tasks/1/perplexity").asDouble() > 1);
        assertTrue(root.at("/zeroShot/tasks/1/accNorm").isMissingNode());
        assertEquals("cpu", root.at("/zeroShot/provider").asText());
        assertEquals(2, root.at("/latency/results").size());
        assertEquals(8, root.at("/latency/promptTokens").asInt());
        assertTiming(root.at("/latency/results/1/ttftMillis/median"), "TTFT median");
        assertTiming(root.at("/latency/loadSeconds"), "load seconds");
        // peak RSS where the platform reports it (Linux /proc); a process's resident set is never empty
        JsonNode peakRss = root.at("/memory/peakRssBytes");
        assertTrue(peakRss.isMissingNode() || peakRss.isNull() || peakRss.asLong() > 0, "peak RSS " + peakRss);
    }

    /**
     * Whether CUDA works here is the machine's (a CPU build, a CUDA build without a GPU, or one with): the test asserts
     * what holds on every machine, that an explicit cuda either runs on CUDA or fails on one line naming it, and that
     * auto agrees with it: CUDA where cuda worked, else the CPU with a note saying it fell back.
     */
    @Test
    void cudaRunsOrFailsClearlyAndAutoAgrees() throws Exception {
        StringWriter err = new StringWriter();
        Path json = temp.resolve("cuda.json");
        int code = LabCli.run(new PrintWriter(err, true), "eval", "--model", STORIES.directory().toString(), "--provider", "cuda",
                "--max-windows", "1", "--threads", "1", "--json", json.toString());
        boolean cudaWorks = code == 0;
        if (cudaWorks) {
            assertEquals("cuda", new ObjectMapper().readTree(Files.readString(json)).get("provider").asText());
        } else {
            assertEquals(2, code, "a missing CUDA is the user's setting, not a crash: " + err);
            assertEquals(1, err.toString().lines().count(), err.toString());
            assertTrue(err.toString().startsWith("error: ") && err.toString().toLowerCase(Locale.ROOT).contains("cuda"),
                    err.toString());
            assertFalse(Files.exists(json), "no result document for a run that did not happen");
        }
        try (DecoderSession session = DecoderSession.open(STORIES.directory(), new RuntimeOptions(ExecutionProvider.AUTO, 1))) {
            if (cudaWorks) {
                assertEquals("cuda", session.providerUsed());
            } else {
                assertEquals("cpu", session.providerUsed());
                assertNotNull(session.providerNote(), "auto says why it runs on the CPU");
                assertTrue(session.providerNote().contains("fell back to CPU"), session.providerNote());
            }
        }
    }
}
