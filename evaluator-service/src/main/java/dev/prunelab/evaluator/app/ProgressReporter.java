package dev.prunelab.evaluator.app;

import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.events.RunProgress;
import dev.prunelab.vocabulary.RunStage;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Turns the suite's section progress into {@link RunProgress} events of stage {@code evaluate}: the fraction is
 * over the whole evaluation (each section an equal share). Sends at the start and end of every section and about
 * every tenth of a section in between, so a long evaluation shows movement without flooding the topic.
 */
public final class ProgressReporter implements EvaluationSuite.Progress {

    private static final int STEPS_PER_SECTION = 10;

    private final String runId;
    private final int sections;
    private final Consumer<RunProgress> sink;
    private final Clock clock;
    private int begun;

    /** @param sections the section names, {@link EvaluationMapper#sections} */
    public ProgressReporter(String runId, List<String> sections, Consumer<RunProgress> sink, Clock clock) {
        this.runId = runId;
        this.sections = Math.max(1, sections.size());
        this.sink = sink;
        this.clock = clock;
    }

    /** Fraction 0 before the model loads. */
    public void started() {
        send(0, "loading the model");
    }

    /** Fraction 1 when every section is done. */
    public void finished() {
        send(1, "done");
    }

    @Override
    public IntConsumer begin(String section, int total) {
        int index = Math.min(begun++, sections - 1);
        send(fraction(index, 0, total), section + " 0/" + total);
        return new Section(section, index, total);
    }

    /** One section's steps: sends about every tenth of them, and the last. */
    private final class Section implements IntConsumer {
        private final String name;
        private final int index;
        private final int total;
        private final int step;
        private int lastSent;

        Section(String name, int index, int total) {
            this.name = name;
            this.index = index;
            this.total = total;
            this.step = Math.max(1, total / STEPS_PER_SECTION);
        }

        @Override
        public void accept(int done) {
            if (done >= total || done - lastSent >= step) {
                lastSent = done;
                send(fraction(index, done, total), name + " " + done + "/" + total);
            }
        }
    }

    private double fraction(int index, int done, int total) {
        double inSection = total <= 0 ? 1 : Math.min(1, (double) done / total);
        return Math.min(1, (index + inSection) / sections);
    }

    private void send(double fraction, String message) {
        sink.accept(new RunProgress(runId, clock.instant(), RunStage.EVALUATE, fraction, message));
    }
}
