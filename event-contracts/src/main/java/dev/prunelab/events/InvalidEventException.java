package dev.prunelab.events;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An input {@link EventCodec} refused: bad JSON, an unknown type or schema version, or a field with a bad
 * value. The message is one line, {@code field: problem}, never a parser stack trace.
 */
public class InvalidEventException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;
    /** What a run id may be (RunRequested's rule): anything else read from an input is not taken as its run id. */
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,"
            + (RunRequested.MAX_RUN_ID_LENGTH - 1) + "}");

    private final String field;
    private final String problem;
    private final String payload;
    private final String payloadRunId;

    /** @param runId the run id read from the payload, or null; one that is not a valid run id counts as none */
    InvalidEventException(String field, String problem, String payload, String runId) {
        super(field.isEmpty() ? problem : field + ": " + problem);
        this.field = field;
        this.problem = problem;
        this.payload = payload;
        this.payloadRunId = runId != null && runId.length() <= RunRequested.MAX_RUN_ID_LENGTH
                && RUN_ID.matcher(runId).matches() ? runId : null;
    }

    /** The JSON path of the bad field ({@code prune.sparsity}, {@code evaluation.tasks.names[1]}), or "(json)". */
    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    /** The input as received (whole: a dead letter keeps only its {@link RunFailed.Excerpt}). */
    public String payload() {
        return payload;
    }

    /** The payload's run id, when it has a valid one. */
    public Optional<String> payloadRunId() {
        return Optional.ofNullable(payloadRunId);
    }

    /**
     * The payload's run id when it has a valid one; otherwise {@code invalid-} + the first 16 hex digits of the
     * payload's sha256, so the same bad input always gets the same key.
     */
    public String runId() {
        return payloadRunId != null ? payloadRunId
                : "invalid-" + EventCodec.sha256Hex(payload == null ? "" : payload).substring(0, 16);
    }
}
