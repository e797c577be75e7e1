package dev.prunelab.pruning.pipeline;

import java.util.Map;
import java.util.function.Supplier;

/** Adds the wall-clock seconds of each call to its stage's total. */
final class Timer {
    private final Map<String, Double> secondsPerStage;

    Timer(Map<String, Double> secondsPerStage) {
        this.secondsPerStage = secondsPerStage;
    }

    <T> T time(String stage, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            secondsPerStage.merge(stage, (System.nanoTime() - start) / 1e9, Double::sum);
        }
    }
}
