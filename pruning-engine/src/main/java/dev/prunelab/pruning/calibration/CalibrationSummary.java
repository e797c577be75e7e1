package dev.prunelab.pruning.calibration;

/**
 * The calibration a prune actually used, as its report records it.
 *
 * @param tokens windows x window tokens that passed through every block
 */
public record CalibrationSummary(String text, int samples, int window, long seed, long tokens) {
}
