package dev.prunelab.evaluator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.cli.LabCli;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluator.app.EvaluationRequest;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.LatencySpec;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.TasksSpec;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator service's path from a {@code model.pruned} evaluation spec to the {@code model.evaluated}
 * metrics, on a real exported stories260K (the evaluator module cannot export models, so this lives here).
 * The event must carry what {@code ./lab eval} reports for the same settings.
 */
class EvaluationEventOnExportedModelTest {

    @TempDir
    Path temp;

    @Test
    void theEventsMetricsAreTheCliReportsFigures() throws Exception {
        Path exported = temp.resolve("stories");
        DecoderExporter.export(SharedData.path("models/stories260K/stories260K.bin"), Optional.empty(), exported,
                WeightDtype.FLOAT32);
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(null, null, 64, 4),
                new TasksSpec(List.of("copa"), 4), new LatencySpec(8, 4, List.of(1), 1), ExecutionProvider.CPU, 1);
        EvaluationSuite.Settings settings = EvaluationRequest.settings(exported, spec);
        assertEquals(List.of("perplexity", "copa", "latency"), EvaluationRequest.sections(settings));

        List<String> begun = new ArrayList<>();
        EvaluationReport report = EvaluationSuite.run(settings, dev.prunelab.evaluation.energy.EnergyBenchmark.Environment.alone(), (section, total) -> {
            begun.add(section);
            return done -> { };
        });
        assertEquals(List.of("perplexity", "copa", "latency"), begun);
        EvaluationMetrics metrics = EvaluationRequest.metrics(report, "file:/store/evaluations/r.json");

        Path json = temp.resolve("cli.json");
        assertEquals(0, LabCli.run("eval", "--model", exported.toString(), "--window", "64",
                "--max-windows", "4", "--tasks", "copa", "--limit", "4", "--threads", "1", "--json", json.toString()));
        JsonNode cli = new ObjectMapper().readTree(Files.readString(json));
        assertEquals(cli.at("/perplexity/perplexity").asDouble(), metrics.perplexity(), 1e-9);
        assertEquals(cli.at("/zeroShot/meanAcc").asDouble(), metrics.meanAcc(), 1e-12);
        assertEquals(Files.size(exported.resolve("model.onnx")), metrics.modelSizeBytes());
        assertNotNull(metrics.ttftMillis());
        assertTrue(metrics.ttftMillis() > 0 && metrics.tpotMillis() > 0 && metrics.decodeTokensPerSecond() > 0,
                metrics.toString());
        assertTrue(metrics.peakRssBytes() > 0);
        assertEquals("cpu", EvaluationRequest.device("cpu"));
        assertEquals("gpu0", EvaluationRequest.device("cuda"));
    }

    @Test
    void aPerplexityOnlyEvaluationHasNoSpeedFigures() throws Exception {
        Path exported = temp.resolve("stories");
        DecoderExporter.export(SharedData.path("models/stories260K/stories260K.bin"), Optional.empty(), exported,
                WeightDtype.FLOAT32);
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(null, null, 64, 2), null, null, null, null);
        EvaluationReport report = EvaluationSuite.run(EvaluationRequest.settings(exported, spec),
                dev.prunelab.evaluation.energy.EnergyBenchmark.Environment.alone(), (section, total) -> done -> { });
        EvaluationMetrics metrics = EvaluationRequest.metrics(report, null);
        assertTrue(metrics.perplexity() > 1, metrics.toString());
        assertNull(metrics.ttftMillis());
        assertNull(metrics.decodeTokensPerSecond());
        assertNull(metrics.tpotMillis());
    }
}
