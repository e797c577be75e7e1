package dev.prunelab.pruning.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.pruning.calibration.CalibrationSummary;
import dev.prunelab.pruning.run.ReportedExport;
import dev.prunelab.pruning.run.Reports;
import dev.prunelab.pruning.run.RunReport;
import dev.prunelab.pruning.run.RunReport.LayerRemoval;
import dev.prunelab.pruning.structured.ModelCost.LayerCost;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneReport.MatrixSparsity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A prune's report read back is the record that wrote it, and its per-layer figures are the engine's. */
class RunReportTest {

    @TempDir
    Path temp;

    private static final CalibrationSummary CALIBRATION = new CalibrationSummary("text", 4, 32, 0, 128);

    static PruneReport unstructured() {
        List<MatrixSparsity> matrices = List.of(
                new MatrixSparsity("model.layers.0.mlp.up_proj.weight", 0, new long[] {4, 8}, 0.5, 0.5, 16, null),
                new MatrixSparsity("model.layers.0.mlp.down_proj.weight", 0, new long[] {8, 4}, 0.5, 0.25, 8, null),
                new MatrixSparsity("model.layers.1.mlp.up_proj.weight", 1, new long[] {4, 8}, 0.5, 0.75, 24, null));
        return new PruneReport(PruneReport.SCHEMA_VERSION, "model.bin", "llama", "wanda", "0.5", 0.5, 0.5, 96, 48,
                1000, "uniform", new double[] {0.5, 0.5}, CALIBRATION, matrices, Map.of("total", 1.25), 1, 1L << 20,
                null, "out", "none", null);
    }

    static StructuredReport structured() {
        List<LayerCost> before = List.of(new LayerCost(0, 0, 4, 4, 64, 1000, 10), new LayerCost(1, 1, 4, 4, 64, 1000, 10),
                new LayerCost(2, 2, 4, 4, 64, 1000, 10));
        List<LayerCost> after = List.of(new LayerCost(0, 0, 4, 4, 32, 750, 8), new LayerCost(1, 2, 2, 2, 64, 500, 6));
        return new StructuredReport(StructuredReport.SCHEMA, "model.bin", "llama", "structured", "mlp", "flap",
                "uniform", 0.25, true, 128, 3000, 1250, 0.58, 30, 14, 0.5, List.of(1), null, null, before, after,
                CALIBRATION, 4096, Map.of("total", 2.5), 1, null, "out");
    }

    private RunReport writtenAndRead(Object report) throws Exception {
        Reports.write(report, temp.resolve(ReportedExport.FILE_NAME));
        return PruneJob.report(temp);
    }

    @Test
    void anUnstructuredReportCarriesItsLayersAndReadsBackTyped() throws Exception {
        PruneReport read = assertInstanceOf(PruneReport.class, writtenAndRead(unstructured()));
        assertEquals(List.of(new LayerRemoval(0, 24.0 / 64, null, null), new LayerRemoval(1, 0.75, null, null)),
                read.layerRemovals());
        assertEquals(unstructured().layerRemovals(), read.layerRemovals());
        assertEquals(new RunReport.Sparsity(0.5, 0.5), read.sparsity());
        assertEquals("wanda", read.method());
        assertEquals(1.25, read.secondsPerStage().get("total"));
        assertEquals(1L << 20, read.peakRssBytes());
    }

    @Test
    void aStructuredReportSaysWhatEachSourceLayerKept() throws Exception {
        StructuredReport read = assertInstanceOf(StructuredReport.class, writtenAndRead(structured()));
        assertEquals(List.of(new LayerRemoval(0, 0.25, 4, 32), new LayerRemoval(1, 1, 0, 0),
                new LayerRemoval(2, 0.5, 2, 64)), read.layerRemovals());
        assertNull(read.sparsity());
        assertNull(read.peakRssBytes());
    }

    @Test
    void theFileHoldsTheRecordsFieldsOnly() throws Exception {
        Reports.write(unstructured(), temp.resolve(ReportedExport.FILE_NAME));
        var json = new ObjectMapper().readTree(temp.resolve(ReportedExport.FILE_NAME).toFile());
        assertFalse(json.has("sparsity") || json.has("layerRemovals"), json.toString());
        assertEquals(0, json.path("matrices").get(0).path("layer").asInt(-1));
    }

    @Test
    void aReportWrittenBeforeMatricesNamedTheirLayerHasNoLayerFigures() throws Exception {
        Files.writeString(temp.resolve(ReportedExport.FILE_NAME), """
                {"schemaVersion":1,"method":"magnitude","requestedSparsity":0.5,"achievedSparsity":0.5,
                 "matrices":[{"name":"model.layers.0.mlp.up_proj.weight","shape":[4,8],"zeros":16}],
                 "secondsPerStage":{"total":1.0},"threads":1,"someLaterField":true}""");
        PruneReport read = assertInstanceOf(PruneReport.class, PruneJob.report(temp));
        assertEquals(List.of(), read.layerRemovals());
        assertEquals("magnitude", read.method());
    }
}
