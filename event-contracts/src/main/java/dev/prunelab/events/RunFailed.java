package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * A run failed, or an input could not be processed (topic {@value Topics#RUN_FAILED}, also the dead-letter
 * topic).
 *
 * @param runId   the run, or {@link InvalidEventException#runId()} for a payload whose run id is unreadable
 * @param stage   where it failed: decode, prune, export, evaluate, ...
 * @param reason  one line a user can act on ("prune.sparsity: 1.5 is outside [0, 1)")
 * @param payload the offending input as received, when there is one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record RunFailed(String runId, Instant occurredAt, String stage, String reason, String payload)
        implements Event {

    public static final String TYPE = "run.failed";
    /** The stage of a payload that could not be decoded or validated. */
    public static final String STAGE_DECODE = "decode";

    public RunFailed {
        Check.id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.text("stage", stage);
        Check.text("reason", reason);
    }

    /** The dead letter for an input the codec refused. */
    public static RunFailed invalidInput(InvalidEventException e, Instant now) {
        return new RunFailed(e.runId(), now, STAGE_DECODE, e.getMessage(), e.payload());
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return TYPE;
    }

    @Override
    public String key() {
        return runId;
    }
}
