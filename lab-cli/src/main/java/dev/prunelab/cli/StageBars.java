package dev.prunelab.cli;

import dev.prunelab.console.ProgressBar;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.pruning.memory.WorkingSet;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.vocabulary.RunStage;

/** The pruning engine's progress as one terminal bar per stage (calibrate, prune, export). */
final class StageBars implements ProgressListener {
    private final String prefix;
    private RunStage stage;
    private ProgressBar bar;

    /** @param prefix shown before the stage, e.g. "structured" */
    StageBars(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void progress(RunStage name, int done, int total) {
        if (!name.equals(stage)) {
            stage = name;
            bar = new ProgressBar(prefix.isEmpty() ? name.id() : prefix + " " + name.id(), total);
        }
        bar.update(done);
    }

    /** One line before the work: what the largest stage will hold, so a user can size -Xmx and the machine. */
    @Override
    public void memoryPlanned(WorkingSet largest, WorkingSet largestOnHeap, MemoryBudget budget) {
        System.out.printf("memory: %s needs about %s (limit %s, %s); the most Java heap: %s, %s (-Xmx %s)%n",
                largest.stage(), WorkingSet.size(largest.bytes()), WorkingSet.size(budget.limitBytes()),
                budget.limitSource(), largestOnHeap.stage(), WorkingSet.size(largestOnHeap.javaHeapBytes()),
                WorkingSet.size(budget.javaHeapBytes()));
    }
}
