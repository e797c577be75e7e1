package dev.prunelab.pruning.export;

import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;

/** Lets tests of other packages run the export oracle on given weights. */
public final class OracleAccess {
    private OracleAccess() {
    }

    /**
     * @param maxDifference largest |logit difference| over the prefill positions and the decode steps
     * @param maxLogit      largest |reference logit|, the scale the difference is judged against
     */
    public record Logits(double maxDifference, double maxLogit) {
    }

    public static double maxLogitDifference(LoadedModel model, TensorSource weights, Path exported, long seed) {
        return compare(model, weights, exported, seed).maxDifference();
    }

    public static Logits compare(LoadedModel model, TensorSource weights, Path exported, long seed) {
        OracleComparison.Comparison comparison = OracleComparison.compare(model, weights, exported,
                ExportOracleTest.randomTokens(model.config().vocabSize(), seed), ExportOracleTest.DECODE_STEPS);
        return new Logits(comparison.maxDifference(), comparison.maxLogit());
    }
}
