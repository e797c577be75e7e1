package dev.prunelab.events;

import java.time.Instant;

/**
 * The pruned model is in the artifact store (topic {@value Topics#MODEL_PRUNED}).
 *
 * @param evaluation what the evaluator is to measure: the run request's, passed through so that the evaluator
 *                   needs no state of its own; absent = {@link EvaluationSpec#defaults()}
 * @param energy     the pruner's own energy for this run (load, calibration, pruning, export), attributed to it
 */
public record ModelPruned(String runId, Instant occurredAt, ArtifactRef artifact, PruneSummary report,
                          EvaluationSpec evaluation, EnergyUse energy) implements RunEvent {

    public static final String TYPE = "model.pruned";

    public ModelPruned {
        Check.runEvent(runId, occurredAt);
        Check.present("artifact", artifact);
        Check.present("report", report);
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
    }

    /** Without the pruner's energy. */
    public ModelPruned(String runId, Instant occurredAt, ArtifactRef artifact, PruneSummary report,
                       EvaluationSpec evaluation) {
        this(runId, occurredAt, artifact, report, evaluation, null);
    }
}
