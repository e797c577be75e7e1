package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;

/**
 * Progress of a long stage (topic {@value Topics#RUN_PROGRESS}).
 *
 * @param stage    calibrate, prune, export (the pruner's) or evaluate (the evaluator's, its sections in the message)
 * @param fraction of the stage done, [0, 1]
 * @param message  optional human text ("block 3 of 8")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record RunProgress(String runId, Instant occurredAt, RunStage stage, double fraction, String message)
        implements RunEvent {

    public static final String TYPE = "run.progress";

    public RunProgress {
        Check.id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.present("stage", stage);
        Check.closedFraction("fraction", fraction);
    }
}
