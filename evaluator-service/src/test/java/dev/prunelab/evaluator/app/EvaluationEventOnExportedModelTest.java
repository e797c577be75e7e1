package dev.prunelab.evaluator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.cli.LabCli;
import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluator.app.EvaluationMapper;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.LatencySpec;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.TasksSpec;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.vocabulary.ExecutionProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator service's path from a {@code model.pruned} evaluation spec to the {@code model.evaluated}
 * metrics, on a real exported stories260K (the evaluator module cannot export models, so this lives here).
 * The event must carry what {@code ./lab eval} reports for the same settings.
 */
class EvaluationEventOnExportedModelTest {

    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    Path temp;

    @Test
    void theEventsMetricsAreTheCliReportsFigures() throws Exception {
        Path exported = STORIES.directory();
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(null, null, 64, 4),
                new TasksSpec(List.of("copa"), 4), new LatencySpec(8, 4, List.of(1), 1), ExecutionProvider.CPU, 1);
        EvaluationSuite.Settings settings = EvaluationMapper.settings(exported, spec);
        assertEquals(List.of("perplexity", "copa", "latency"), EvaluationMapper.sections(settings));

        List<String> begun = new ArrayList<>();
        // the latency section's clock moves 1 ms at every read: its figures follow from the code, not the machine
        AtomicLong clockNanos = new AtomicLong();
        EnergyBenchmark.Environment environment = new EnergyBenchmark.Environment(EnergyBenchmark.Environment.alone()
                .counters(), HostWorkLock.none(), () -> clockNanos.addAndGet(1_000_000));
        EvaluationReport report = EvaluationSuite.run(settings, environment, (section, total) -> {
            begun.add(section);
            return done -> { };
        });
        assertEquals(List.of("perplexity", "copa", "latency"), begun);
        EvaluationMetrics metrics = EvaluationMapper.metrics(report, "file:/store/evaluations/r.json");

        Path json = temp.resolve("cli.json");
        assertEquals(0, LabCli.run("eval", "--model", exported.toString(), "--window", "64",
                "--max-windows", "4", "--tasks", "copa", "--limit", "4", "--threads", "1", "--json", json.toString()));
        JsonNode cli = new ObjectMapper().readTree(Files.readString(json));
        assertEquals(cli.at("/perplexity/perplexity").asDouble(), metrics.perplexity(), 1e-9);
        assertEquals(cli.at("/zeroShot/meanAcc").asDouble(), metrics.meanAcc(), 1e-12);
        assertEquals(Files.size(exported.resolve("model.onnx")), metrics.modelSizeBytes());
        // 8 prompt tokens, 4 new ones at batch 1: the prefill is one 1 ms step, so are the 3 decode steps together
        LatencyBenchmark.BatchLatency batch1 = report.latency().results().get(0);
        assertEquals(1, batch1.batch());
        assertEquals(batch1.ttftMillis().median(), metrics.ttftMillis());
        assertEquals(batch1.tpotMillis().median(), metrics.tpotMillis());
        assertEquals(batch1.decodeTokensPerSecond().median(), metrics.decodeTokensPerSecond());
        assertEquals(1.0, metrics.ttftMillis(), 1e-12);
        assertEquals(1.0 / 3, metrics.tpotMillis(), 1e-12);
        assertEquals(3_000, metrics.decodeTokensPerSecond(), 1e-9, "1 token per 1/3 ms");
        assertEquals(4 / 0.002, batch1.outputTokensPerSecond().median(), 1e-9, "4 tokens in 2 ms");
        // resident memory comes from /proc where there is one: the report's figure, absent or positive
        assertEquals(report.memory().peakRssBytes(), metrics.peakRssBytes());
        assertTrue(metrics.peakRssBytes() == null || metrics.peakRssBytes() > 0, metrics.toString());
        assertEquals("cpu", EvaluationMapper.device(report), "a CPU session's window names the CPU");
    }

    @Test
    void aPerplexityOnlyEvaluationHasNoSpeedFigures() throws Exception {
        Path exported = STORIES.directory();
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(null, null, 64, 2), null, null, null, null);
        EvaluationReport report = EvaluationSuite.run(EvaluationMapper.settings(exported, spec),
                dev.prunelab.evaluation.energy.EnergyBenchmark.Environment.alone(), (section, total) -> done -> { });
        EvaluationMetrics metrics = EvaluationMapper.metrics(report, null);
        assertTrue(metrics.perplexity() > 1, metrics.toString());
        assertNull(metrics.ttftMillis());
        assertNull(metrics.decodeTokensPerSecond());
        assertNull(metrics.tpotMillis());
    }
}
