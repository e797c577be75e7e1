package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;

/**
 * A run failed, or an input could not be processed (topic {@value Topics#RUN_FAILED}, also the dead-letter
 * topic).
 *
 * @param runId   the run, or {@link InvalidEventException#runId()} for a payload whose run id is unreadable
 * @param stage   where it failed (decode, validate, prune, export, evaluate, ...): the service that owns it
 * @param reason  one line a user can act on ("prune.sparsity: 1.5 is outside [0, 1)")
 * @param payload the offending input as received, when there is one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record RunFailed(String runId, Instant occurredAt, RunStage stage, String reason, String payload)
        implements RunEvent {

    public static final String TYPE = "run.failed";

    public RunFailed {
        Check.id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.present("stage", stage);
        Check.text("reason", reason);
    }

    /** The dead letter for an input the codec refused. */
    public static RunFailed invalidInput(InvalidEventException e, Instant now) {
        return new RunFailed(e.runId(), now, RunStage.DECODE, e.getMessage(), e.payload());
    }

    /** A failure of {@code stage} with {@link #reasonOf}'s one line. */
    public static RunFailed of(String runId, Instant now, RunStage stage, Throwable e) {
        return new RunFailed(runId, now, stage, reasonOf(e), null);
    }

    /**
     * The one-line reason every service publishes: the exception's message with line breaks folded (with its
     * cause's message for an UncheckedIOException), or its type and its cause's reason when it has no message.
     */
    public static String reasonOf(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName() + (e.getCause() != null ? ": " + reasonOf(e.getCause()) : "");
        } else if (e instanceof java.io.UncheckedIOException && e.getCause() != null
                && e.getCause().getMessage() != null) {
            message = message + ": " + e.getCause().getMessage();
        }
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
