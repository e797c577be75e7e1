package dev.prunelab.vocabulary;

/**
 * A setting the lab refuses, named by its field ({@code ratio}, {@code calibration.window}): the engines throw it,
 * a service puts the message in run.failed as is, and the command line names its flag instead.
 */
public final class InvalidSetting extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    /**
     * @param field   the field's name or path ({@code ratio}, {@code prune.sparsity}); empty when the problem is the
     *                value being parsed itself and the reader prefixes the path it knows
     * @param problem what is wrong, e.g. "1.5 is outside [0, 1)"
     */
    public InvalidSetting(String field, String problem) {
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
