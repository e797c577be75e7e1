package dev.prunelab.events;

/**
 * An input {@link EventCodec} refused: bad JSON, an unknown type or schema version, or a field with a bad
 * value. The message is one line, {@code field: problem}, never a parser stack trace.
 */
public class InvalidEventException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;
    private final String payload;
    private final String runId;

    InvalidEventException(String field, String problem, String payload, String runId) {
        super(field.isEmpty() ? problem : field + ": " + problem);
        this.field = field;
        this.problem = problem;
        this.payload = payload;
        this.runId = runId;
    }

    /** The JSON path of the bad field ({@code prune.sparsity}, {@code evaluation.tasks.names[1]}), or "(json)". */
    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    /** The input as received. */
    public String payload() {
        return payload;
    }

    /**
     * The payload's run id when it has a valid one; otherwise {@code invalid-} + the first 16 hex digits of the
     * payload's sha256, so the same bad input always gets the same key.
     */
    public String runId() {
        return runId;
    }
}
