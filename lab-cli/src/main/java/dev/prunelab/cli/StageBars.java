package dev.prunelab.cli;

import dev.prunelab.console.ProgressBar;
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
}
