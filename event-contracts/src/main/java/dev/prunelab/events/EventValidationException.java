package dev.prunelab.events;

/**
 * An event field with a bad value. {@link #field()} is relative to the object that threw it
 * ({@code sparsity}); {@link EventCodec} prefixes the JSON path ({@code prune.sparsity}).
 */
public class EventValidationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    /**
     * @param field   the field's name or path, empty when the problem is the value being parsed itself
     * @param problem what is wrong, e.g. "1.5 is outside [0, 1)"
     */
    public EventValidationException(String field, String problem) {
        super(field.isEmpty() ? problem : field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
