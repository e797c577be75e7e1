package dev.prunelab.pruning.export;

import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;

/** Lets tests of other packages run the export oracle on given weights. */
public final class OracleAccess {
    private OracleAccess() {
    }

    public static double maxLogitDifference(LoadedModel model, TensorSource weights, Path exported, long seed) {
        return OracleComparison.maxLogitDifference(model, weights, exported,
                ExportOracleTest.randomTokens(model.config().vocabSize(), seed), ExportOracleTest.DECODE_STEPS);
    }
}
