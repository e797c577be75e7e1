package dev.prunelab.pruning.run;

import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.pruning.memory.WorkingSet;
import dev.prunelab.vocabulary.RunStage;

/**
 * Hears how far a prune has got: each stage's start ({@code done} 0) and every decoder block it finishes. The
 * stages are the vocabulary's: {@link RunStage#CALIBRATE} (calibration passes before pruning: OWL's dense pass,
 * block influence), {@link RunStage#PRUNE} (block by block) and {@link RunStage#EXPORT}. The CLI draws a progress
 * bar; the pruner service publishes {@code run.progress} events.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (stage, done, total) -> { };

    /** @param done units of {@code stage} finished so far, 0 at its start; {@code total} at its end */
    void progress(RunStage stage, int done, int total);

    /**
     * Told once, before any work, the largest stage's estimated working set and the budget it was checked against.
     *
     * @param largest       what the largest stage needs, part by part
     * @param largestOnHeap the stage whose Java part is the largest (SparseGPT's pruning math, where the largest
     *                      stage is a calibration pass that holds ONNX Runtime's block): what -Xmx must hold
     * @param budget        the limit and the heap it fits
     */
    default void memoryPlanned(WorkingSet largest, WorkingSet largestOnHeap, MemoryBudget budget) {
    }
}
