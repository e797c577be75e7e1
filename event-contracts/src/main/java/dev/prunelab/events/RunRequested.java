package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * Prune one model one way and evaluate it: the event that starts a run (topic {@value Topics#RUN_REQUESTED}).
 *
 * @param sweepId    the sweep this run belongs to, absent for a single run
 * @param calibration absent = the pruner's defaults
 * @param evaluation  absent = {@link EvaluationSpec#defaults()}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record RunRequested(String runId, Instant occurredAt, String sweepId, ModelRef model, PruneSpec prune,
                           CalibrationSpec calibration, EvaluationSpec evaluation) implements RunEvent {

    public static final String TYPE = "run.requested";
    public static final int MAX_RUN_ID_LENGTH = 128;

    public RunRequested {
        Check.id("runId", runId, MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        if (sweepId != null) {
            Check.id("sweepId", sweepId, SweepRequest.MAX_SWEEP_ID_LENGTH);
        }
        Check.present("model", model);
        Check.present("prune", prune);
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
    }
}
