package dev.prunelab.pruning.calibration;

import java.util.Map;
import java.util.function.Supplier;

/** Adds the wall-clock seconds of each call to its stage's total (a report's {@code seconds} map). */
public final class StageTimer {
    private final Map<String, Double> secondsPerStage;

    public StageTimer(Map<String, Double> secondsPerStage) {
        this.secondsPerStage = secondsPerStage;
    }

    public <T> T time(String stage, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            secondsPerStage.merge(stage, (System.nanoTime() - start) / 1e9, Double::sum);
        }
    }
}
