package dev.prunelab.events;

import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;

/**
 * Progress of a long stage (topic {@value Topics#RUN_PROGRESS}).
 *
 * @param stage    calibrate, prune, export (the pruner's) or evaluate (the evaluator's, its sections in the message)
 * @param fraction of the stage done, [0, 1]
 * @param message  optional human text ("block 3 of 8")
 */
public record RunProgress(String runId, Instant occurredAt, RunStage stage, double fraction, String message)
        implements RunEvent {

    public static final String TYPE = "run.progress";

    public RunProgress {
        Check.runEvent(runId, occurredAt);
        Check.present("stage", stage);
        Check.closedFraction("fraction", fraction);
    }
}
