package dev.prunelab.pruning.model;

import java.nio.file.Path;

/**
 * A model file or directory that cannot be used as it is. The message always names the file, the tensor
 * where there is one, and the problem, so a user can act on it without a stack trace.
 */
public final class ModelFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public ModelFormatException(Path file, String tensorName, String problem) {
        super(file + ": tensor '" + tensorName + "': " + problem);
    }

    public ModelFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
