package dev.prunelab.evaluator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.evaluation.energy.EnergySummary;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.LatencySpec;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.TasksSpec;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.PerplexityProtocol;
import dev.prunelab.vocabulary.RunStage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/** The event's evaluation settings as the suite's, and progress as events: plain Java, no Quarkus. */
class EvaluationMapperTest {

    private static final Path MODEL = Path.of("/store/run-1");

    @Test
    void defaultsAreThoseOfLabEval() {
        EvaluationSuite.Settings settings = EvaluationMapper.settings(MODEL, EvaluationSpec.defaults());
        assertEquals(PerplexityProtocol.PARAGRAPHS, settings.perplexity().protocol());
        assertNull(settings.perplexity().text());
        // the shipped TinyStories validation text, as ./lab eval
        assertEquals(true, settings.perplexity().textFile().endsWith(Path.of(EvaluationSuite.DEFAULT_TEXT)));
        assertNull(settings.tasks());
        assertNull(settings.latency());
        assertEquals(ExecutionProvider.CPU, settings.providerRequested());
        assertEquals(0, settings.threads());
        assertEquals(List.of("perplexity"), EvaluationMapper.sections(settings));
    }

    @Test
    void everySectionIsMapped() {
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec("/data/wiki.txt", PerplexityProtocol.WIKITEXT, 64, 3),
                new TasksSpec(List.of("piqa", "boolq"), 10), new LatencySpec(16, 8, List.of(1, 4), 2), ExecutionProvider.AUTO, 2);
        EvaluationSuite.Settings settings = EvaluationMapper.settings(MODEL, spec);
        assertEquals(Path.of("/data/wiki.txt"), settings.perplexity().textFile());
        assertEquals(PerplexityProtocol.WIKITEXT, settings.perplexity().protocol());
        assertEquals(64, settings.perplexity().window());
        assertEquals(3, settings.perplexity().maxWindows());
        assertEquals(List.of(ZeroShotTask.PIQA, ZeroShotTask.BOOLQ), settings.tasks().tasks());
        assertEquals(10, settings.tasks().limit());
        assertEquals(16, settings.latency().promptTokens());
        assertEquals(List.of(1, 4), settings.latency().batchSizes());
        assertEquals(2, settings.latency().repeats());
        assertEquals(ExecutionProvider.AUTO, settings.providerRequested());
        assertEquals(2, settings.threads());
        assertEquals(List.of("perplexity", "piqa", "boolq", "latency"), EvaluationMapper.sections(settings));
    }

    @Test
    void theServicesThreadSettingAppliesOnlyWhereTheRequestNamesNone() {
        assertEquals(1, EvaluationMapper.settings(MODEL, EvaluationSpec.defaults(), null, 1).threads());
        EvaluationSpec twoThreads = new EvaluationSpec(null, null, null, ExecutionProvider.CPU, 2);
        assertEquals(2, EvaluationMapper.settings(MODEL, twoThreads, null, 1).threads());
    }

    @Test
    void poolThreadsSpinOnlyWhenTheServiceIsConfiguredSo() {
        EvaluationSuite.Settings quiet = EvaluationMapper.settings(MODEL, EvaluationSpec.defaults(), null, 2);
        assertEquals(false, quiet.runtimeOptions().spinning());
        EvaluationSuite.Settings spinning = EvaluationMapper.settings(MODEL, EvaluationSpec.defaults(), null, 2, true);
        assertEquals(true, spinning.runtimeOptions().spinning());
        assertEquals(2, spinning.runtimeOptions().intraOpThreads());
    }

    /** A result document holding only what the window's device and the event's figures are read from. */
    private static EvaluationReport report(String provider, EvaluationReport.Gpu gpu, EvaluationReport.Energy energy) {
        return new EvaluationReport(EvaluationReport.SCHEMA_VERSION, null, provider, null, gpu, null, null, null, null,
                null, null, null, energy, null);
    }

    @Test
    void theWindowDeviceIsTheBoardTheSessionRanOn() {
        assertEquals("cpu", EvaluationMapper.device(report("cpu", null, null)));
        String uuid = "GPU-2c2c2c2c-1111-2222-3333-444444444444";
        assertEquals("gpu2 (" + uuid + ")", EvaluationMapper.device(report("cuda",
                new EvaluationReport.Gpu(1, "CUDA device 1 = CUDA_VISIBLE_DEVICES entry 1", 2, uuid, "NVIDIA H200"),
                null)), "as the meter names the board NVML found: its index in PCI order, not the CUDA ordinal");
        assertEquals("gpu:" + uuid, EvaluationMapper.device(report("cuda",
                new EvaluationReport.Gpu(0, "CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0", null, uuid, null), null)),
                "no NVML: the UUID CUDA_VISIBLE_DEVICES gave");
        assertEquals("cuda:3", EvaluationMapper.device(report("cuda",
                new EvaluationReport.Gpu(3, "CUDA device 3 = NVML index 3", null, null, null), null)),
                "no NVML, no UUID: the ordinal, never a guessed gpu0");
    }

    @Test
    void aGpuRunWithoutGpuEnergyGivesAnEventWithoutEnergyFigures() {
        String why = "nvml: NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here); "
                + EnergyCounters.NO_GPU_COUNTER;
        EvaluationReport report = report("cuda", new EvaluationReport.Gpu(0, "CUDA device 0 = NVML index 0", null,
                null, null), new EvaluationReport.Energy("cuda", EvaluationReport.Energy.PROTOCOL, null, List.of(),
                List.of(), why));
        EvaluationMetrics metrics = EvaluationMapper.metrics(report, "file:/store/evaluations/run-1.json");
        assertNull(metrics.ttftMillis(), "no energy window, no latency section: no speed headline");
        assertNull(metrics.decodeTokensPerSecond());
        assertNull(metrics.tpotMillis());

        Instant start = Instant.parse("2026-01-31T12:00:00Z");
        ModelEvaluated evaluated = new ModelEvaluated("run-1", start.plusSeconds(60), metrics,
                new MeasurementWindow(start, start.plusSeconds(59), "host-a", EvaluationMapper.device(report), "cuda"),
                EvaluationMapper.energy(report));
        EventCodec codec = new EventCodec();
        ModelEvaluated decoded = codec.decode(codec.encode(evaluated), ModelEvaluated.class);
        assertNull(decoded.energy(), "the event carries no energy rather than a CPU figure");
        assertEquals("cuda:0", decoded.window().device());
        assertFalse(codec.encode(evaluated).contains("\"energy\""), codec.encode(evaluated));
    }

    /** The stage's figures as the engine reports them, with a reference and without the host's utilisation. */
    private static EnergySummary measuredSummary() {
        MeanInterval gross = new MeanInterval(0.012, 0.0101, 0.0143, 4, 0.95, MeanInterval.Scale.LOG);
        MeanInterval net = new MeanInterval(0.009, -0.001, 0.019, 4, 0.95);
        MedianInterval speed = new MedianInterval(300, 290, 310, 4, 0.875);
        EnergySummary.PerToken perToken = new EnergySummary.PerToken(gross, net);
        Instant start = Instant.parse("2026-01-31T12:00:27Z");
        return new EnergySummary(EnergySource.ESTIMATE, "cpu", "cpu time", "rapl: none", new EnergySummary.Workload(64,
                192, 1, 4, 1), start, start.plusSeconds(13), 0.5, new EnergySummary.Baseline(2.0, 0.74, null,
                "not measured: the estimate's idle share"), 4.6, 1.2, perToken, perToken, speed, speed,
                new EnergySummary.Reference("dense-run", perToken, speed,
                        new MeanInterval(0.8, 0.7, 0.9, 4, 0.95, MeanInterval.Scale.LOG),
                        new MeanInterval(1.2, 1.1, 1.3, 4, 0.95, MeanInterval.Scale.CLAMPED)));
    }

    @Test
    void theEventCarriesTheStagesFiguresFieldForField() throws Exception {
        EnergySummary summary = measuredSummary();
        EvaluationReport report = report("cpu", null, new EvaluationReport.Energy("cpu", EvaluationReport.Energy.PROTOCOL,
                summary, List.of(), List.of()));
        EnergyMeasurement energy = EvaluationMapper.energy(report);
        // the same document: the result file's energy.summary is what model.evaluated carries
        ObjectMapper json = EvaluationReport.JSON;
        assertEquals(json.valueToTree(summary), json.valueToTree(energy));
        EventCodec codec = new EventCodec();
        Instant at = Instant.parse("2026-01-31T12:00:41Z");
        ModelEvaluated evaluated = new ModelEvaluated("run-1", at, EvaluationMapper.metrics(report, null),
                new MeasurementWindow(at.minusSeconds(30), at, "host-a", "cpu", "cpu"), energy);
        assertEquals(evaluated, codec.decode(codec.encode(evaluated), ModelEvaluated.class));
        JsonNode onTheWire = new ObjectMapper().readTree(codec.encode(evaluated)).get("energy");
        assertEquals(json.readTree(json.writeValueAsString(summary)), onTheWire);
    }

    @Test
    void progressCoversTheWholeEvaluationInOrder() {
        List<RunProgress> sent = new ArrayList<>();
        Clock clock = Clock.fixed(Instant.parse("2026-01-31T12:00:00Z"), ZoneOffset.UTC);
        ProgressReporter reporter = new ProgressReporter("run-1", List.of("perplexity", "latency"), sent::add, clock);
        reporter.started();
        IntConsumer perplexity = reporter.begin("perplexity", 100);
        for (int i = 1; i <= 100; i++) {
            perplexity.accept(i);
        }
        IntConsumer latency = reporter.begin("latency", 4);
        for (int i = 1; i <= 4; i++) {
            latency.accept(i);
        }
        reporter.finished();
        List<Double> fractions = sent.stream().map(RunProgress::fraction).toList();
        assertEquals(0.0, fractions.get(0));
        assertEquals(1.0, fractions.get(fractions.size() - 1));
        for (int i = 1; i < fractions.size(); i++) {
            assertEquals(true, fractions.get(i) >= fractions.get(i - 1), fractions.toString());
        }
        assertEquals(true, sent.stream().anyMatch(p -> p.fraction() == 0.5 && p.message().equals("perplexity 100/100")));
        assertEquals(true, sent.stream().anyMatch(p -> p.fraction() == 0.5 && p.message().equals("latency 0/4")));
        // about one event per tenth of a section, not one per window
        assertEquals(true, sent.size() <= 2 + 11 + 5, sent.size() + " events");
        assertEquals(true, sent.stream().allMatch(p -> p.stage() == RunStage.EVALUATE && p.runId().equals("run-1")));
    }
}
