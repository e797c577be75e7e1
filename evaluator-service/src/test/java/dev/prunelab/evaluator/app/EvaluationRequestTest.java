package dev.prunelab.evaluator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
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
class EvaluationRequestTest {

    private static final Path MODEL = Path.of("/store/run-1");

    @Test
    void defaultsAreThoseOfLabEval() {
        EvaluationSuite.Settings settings = EvaluationRequest.settings(MODEL, EvaluationSpec.defaults());
        assertEquals(PerplexityProtocol.PARAGRAPHS, settings.perplexity().protocol());
        assertNull(settings.perplexity().text());
        // the shipped TinyStories validation text, as ./lab eval
        assertEquals(true, settings.perplexity().textFile().endsWith(Path.of(EvaluationSuite.DEFAULT_TEXT)));
        assertNull(settings.tasks());
        assertNull(settings.latency());
        assertEquals(ExecutionProvider.CPU, settings.providerRequested());
        assertEquals(0, settings.threads());
        assertEquals(List.of("perplexity"), EvaluationRequest.sections(settings));
    }

    @Test
    void everySectionIsMapped() {
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec("/data/wiki.txt", PerplexityProtocol.WIKITEXT, 64, 3),
                new TasksSpec(List.of("piqa", "boolq"), 10), new LatencySpec(16, 8, List.of(1, 4), 2), ExecutionProvider.AUTO, 2);
        EvaluationSuite.Settings settings = EvaluationRequest.settings(MODEL, spec);
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
        assertEquals(List.of("perplexity", "piqa", "boolq", "latency"), EvaluationRequest.sections(settings));
    }

    @Test
    void theServicesThreadSettingAppliesOnlyWhereTheRequestNamesNone() {
        assertEquals(1, EvaluationRequest.settings(MODEL, EvaluationSpec.defaults(), null, 1).threads());
        EvaluationSpec twoThreads = new EvaluationSpec(null, null, null, ExecutionProvider.CPU, 2);
        assertEquals(2, EvaluationRequest.settings(MODEL, twoThreads, null, 1).threads());
    }

    @Test
    void poolThreadsSpinOnlyWhenTheServiceIsConfiguredSo() {
        EvaluationSuite.Settings quiet = EvaluationRequest.settings(MODEL, EvaluationSpec.defaults(), null, 2);
        assertEquals(false, quiet.runtimeOptions().spinning());
        EvaluationSuite.Settings spinning = EvaluationRequest.settings(MODEL, EvaluationSpec.defaults(), null, 2, true);
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
        assertEquals("cpu", EvaluationRequest.device(report("cpu", null, null)));
        String uuid = "GPU-2c2c2c2c-1111-2222-3333-444444444444";
        assertEquals("gpu2 (" + uuid + ")", EvaluationRequest.device(report("cuda",
                new EvaluationReport.Gpu(1, "CUDA device 1 = CUDA_VISIBLE_DEVICES entry 1", 2, uuid, "NVIDIA H200"),
                null)), "as the meter names the board NVML found: its index in PCI order, not the CUDA ordinal");
        assertEquals("gpu:" + uuid, EvaluationRequest.device(report("cuda",
                new EvaluationReport.Gpu(0, "CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0", null, uuid, null), null)),
                "no NVML: the UUID CUDA_VISIBLE_DEVICES gave");
        assertEquals("cuda:3", EvaluationRequest.device(report("cuda",
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
        EvaluationMetrics metrics = EvaluationRequest.metrics(report, "file:/store/evaluations/run-1.json");
        assertNull(metrics.ttftMillis(), "no energy window, no latency section: no speed headline");
        assertNull(metrics.decodeTokensPerSecond());
        assertNull(metrics.tpotMillis());

        Instant start = Instant.parse("2026-01-31T12:00:00Z");
        ModelEvaluated evaluated = new ModelEvaluated("run-1", start.plusSeconds(60), metrics,
                new MeasurementWindow(start, start.plusSeconds(59), "host-a", EvaluationRequest.device(report), "cuda"),
                report.energy().summary());
        EventCodec codec = new EventCodec();
        ModelEvaluated decoded = codec.decode(codec.encode(evaluated), ModelEvaluated.class);
        assertNull(decoded.energy(), "the event carries no energy rather than a CPU figure");
        assertEquals("cuda:0", decoded.window().device());
        assertFalse(codec.encode(evaluated).contains("\"energy\""), codec.encode(evaluated));
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
