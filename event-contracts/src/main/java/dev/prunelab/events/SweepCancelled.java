package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * A user cancelled a sweep (topic {@value Topics#SWEEP_CANCELLED}, compacted, keyed by sweep id). Runs of the
 * sweep that have not started are skipped (the pruner publishes {@link RunFailed} with stage
 * {@value #STAGE_CANCELLED}); a run already under way finishes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "sweepId", "occurredAt"})
public record SweepCancelled(String sweepId, Instant occurredAt, String reason) implements Event {

    public static final String TYPE = "sweep.cancelled";
    /** The {@link RunFailed#stage()} of a run skipped because its sweep was cancelled. */

    public SweepCancelled {
        Check.id("sweepId", sweepId, SweepRequest.MAX_SWEEP_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        reason = reason == null || reason.isBlank() ? "cancelled by the user" : reason;
    }

    @Override
    public String key() {
        return sweepId;
    }
}
