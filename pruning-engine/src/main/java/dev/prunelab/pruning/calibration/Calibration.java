package dev.prunelab.pruning.calibration;

import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Path;

/**
 * Where a prune's calibration windows come from: N windows of W tokens at random offsets of the text's token
 * stream, drawn with the seed.
 *
 * @param window tokens per window; 0 means the model's context length capped at
 *               {@value BlockCalibration#DEFAULT_WINDOW_CAP}
 */
public record Calibration(Path text, int samples, int window, long seed) {
    public Calibration {
        if (samples < 1) {
            throw new InvalidSetting("samples", "must be at least 1, was " + samples);
        }
        if (window < 0 || window == 1) {
            throw new InvalidSetting("window", "must be at least 2 tokens (or 0 for the model's context), was "
                    + window);
        }
    }
}
