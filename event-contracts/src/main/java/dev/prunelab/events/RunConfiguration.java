package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * What one run does, and the body of {@code POST /api/runs}: a run's id is the hash of exactly these four parts, so
 * a configuration has the same id whether it is submitted alone or expanded from a sweep ({@link SweepRequest}).
 *
 * @param calibration absent = the pruner's defaults
 * @param evaluation  absent = {@link EvaluationSpec#defaults()}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
// The canonical JSON the ids hash: its parts in name order, as run ids have always been computed.
@JsonPropertyOrder(alphabetic = true)
public record RunConfiguration(ModelRef model, PruneSpec prune, CalibrationSpec calibration,
                               EvaluationSpec evaluation) {

    public RunConfiguration {
        Check.present("model", model);
        Check.present("prune", prune);
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
    }

    /**
     * The run's id: {@code prefix-} + the first 12 hex digits of the sha256 of this configuration's canonical JSON
     * (sorted keys, no nulls). The same configuration always gets the same id under one prefix.
     */
    public String runId(String prefix) {
        return prefix + "-" + EventCodec.sha256Hex(EventCodec.write(this)).substring(0, 12);
    }

    /** The identified run request: its id ({@link #runId}) computed once, under {@code idPrefix}. */
    public RunRequested request(String idPrefix, Instant occurredAt, String sweepId) {
        return new RunRequested(runId(idPrefix), occurredAt, sweepId, model, prune, calibration, evaluation);
    }
}
