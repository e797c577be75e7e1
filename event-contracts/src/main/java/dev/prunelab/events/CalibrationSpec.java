package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.CalibrationDefaults;

/**
 * Calibration data for wanda, sparsegpt and the calibrated structured scores; every field optional (absent =
 * {@link CalibrationDefaults}, docs/pruning.md "Calibration").
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
