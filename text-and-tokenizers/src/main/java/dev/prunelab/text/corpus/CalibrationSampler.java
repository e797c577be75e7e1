package dev.prunelab.text.corpus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws calibration windows for pruning: {@code samples} windows of {@code window} tokens, each starting at an
 * offset drawn uniformly from all offsets where a whole window fits (windows may overlap, as in SparseGPT/Wanda).
 * The same seed and stream always give the same windows.
 */
public record CalibrationSampler(int samples, int window, long seed) {
    public CalibrationSampler {
        if (samples < 1) {
            throw new IllegalArgumentException("calibration samples must be at least 1, was " + samples);
        }
        if (window < 1) {
            throw new IllegalArgumentException("calibration window must be at least 1 token, was " + window);
        }
    }

    /** Shorthand for {@code new CalibrationSampler(samples, window, seed).sample(stream)}. */
    public static List<int[]> sample(int[] stream, int samples, int window, long seed) {
        return new CalibrationSampler(samples, window, seed).sample(stream);
    }

    /** The windows, in the order drawn. */
    public List<int[]> sample(int[] stream) {
        if (stream == null) {
            throw new IllegalArgumentException("calibration token stream is null");
        }
        if (stream.length < window) {
            throw new IllegalArgumentException("calibration text has " + stream.length
                    + " tokens, shorter than one window of " + window);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int offsets = stream.length - window + 1;
        List<int[]> windows = new ArrayList<>(samples);
        for (int i = 0; i < samples; i++) {
            int start = random.nextInt(offsets);
            windows.add(Arrays.copyOfRange(stream, start, start + window));
        }
        return windows;
    }
}
