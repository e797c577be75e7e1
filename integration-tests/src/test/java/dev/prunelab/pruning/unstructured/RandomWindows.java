package dev.prunelab.pruning.unstructured;

import dev.prunelab.pruning.calibration.WindowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random token windows stand in for calibration text on random-weight models (no tokenizer needed). */
public final class RandomWindows {
    private RandomWindows() {
    }

    public static WindowSource of(int vocab, int samples, long seed) {
        return window -> {
            SplittableRandom random = new SplittableRandom(seed);
            List<int[]> windows = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                windows.add(random.ints(window, 0, vocab).toArray());
            }
            return windows;
        };
    }
}
