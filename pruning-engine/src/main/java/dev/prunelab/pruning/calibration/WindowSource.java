package dev.prunelab.pruning.calibration;

import java.util.List;

/** Calibration windows of a given length, drawn when a prune first needs them. */
@FunctionalInterface
public interface WindowSource {
    List<int[]> windows(int windowTokens);
}
