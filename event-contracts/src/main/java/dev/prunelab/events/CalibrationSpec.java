package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Calibration data for wanda, sparsegpt and the calibrated structured scores; every field optional (absent =
 * the pruner's default, README "Pruning").
 *
 * @param text    calibration text file
 * @param samples windows drawn
 * @param window  tokens per window
 * @param seed    random offsets' seed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CalibrationSpec(String text, Integer samples, Integer window, Long seed) {

    public CalibrationSpec {
        Check.positiveOrNull("samples", samples);
        Check.positiveOrNull("window", window);
    }
}
