package dev.prunelab.events;

import java.time.Instant;

/**
 * Prune one model one way and evaluate it: the event that starts a run (topic {@value Topics#RUN_REQUESTED}).
 *
 * @param sweepId    the sweep this run belongs to, absent for a single run
 * @param calibration absent = the pruner's defaults
 * @param evaluation  absent = {@link EvaluationSpec#defaults()}
 */
public record RunRequested(String runId, Instant occurredAt, String sweepId, ModelRef model, PruneSpec prune,
                           CalibrationSpec calibration, EvaluationSpec evaluation) implements RunEvent {

    public static final String TYPE = "run.requested";
    public static final int MAX_RUN_ID_LENGTH = 128;

    public RunRequested {
        Check.runEvent(runId, occurredAt);
        if (sweepId != null) {
            Check.id("sweepId", sweepId, SweepRequest.MAX_SWEEP_ID_LENGTH);
        }
        Check.present("model", model);
        Check.present("prune", prune);
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
    }
}
