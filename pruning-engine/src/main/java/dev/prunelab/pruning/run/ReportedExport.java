package dev.prunelab.pruning.run;

import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The last step of every prune: export the pruned weights and write the run's report into the export's staging
 * directory, so the report appears atomically with the model and never describes a model that is not there.
 * The report's {@code export} and {@code total} seconds are taken inside the export, just before it is written,
 * so the file and the returned report agree.
 */
public final class ReportedExport {
    /** The report every prune writes next to its model. */
    public static final String FILE_NAME = "prune-report.json";

    private ReportedExport() {
    }

    /**
     * @param quantization float linear layers or int4 MatMulNBits ({@link DecoderExporter})
     * @param seconds      the run's seconds per stage; {@code export} and {@code total} are added
     * @param startNanos   when the run started ({@link System#nanoTime()})
     * @param report       builds the report, given the staging directory (to measure what was written)
     */
    public static <R> R export(LoadedModel model, TensorSource weights, Path out, WeightDtype dtype,
            boolean compressWeights, LinearQuantization quantization, Map<String, Double> seconds, long startNanos,
            ProgressListener listener, Function<Path, R> report) {
        AtomicReference<R> written = new AtomicReference<>();
        long exportStart = System.nanoTime();
        listener.progress(RunStage.EXPORT, 0, 1);
        DecoderExporter.export(model, weights, out, dtype, compressWeights, quantization, staging -> {
            seconds.put("export", (System.nanoTime() - exportStart) / 1e9);
            seconds.put("total", (System.nanoTime() - startNanos) / 1e9);
            R built = report.apply(staging);
            Reports.write(built, staging.resolve(FILE_NAME));
            written.set(built);
        });
        listener.progress(RunStage.EXPORT, 1, 1);
        return written.get();
    }
}
