package dev.prunelab.gateway;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.events.ModelRef;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files a request names must exist where the gateway runs (the services share its filesystem): a missing
 * model is refused with a 400 at submission instead of failing every run of the sweep in the pruner.
 */
public final class InputFiles {

    private InputFiles() {
    }

    /** Throws naming the field and the path when a named file or directory does not exist. */
    public static void check(ModelRef model, CalibrationSpec calibration, EvaluationSpec evaluation) {
        exists("model.path", model.path());
        if (model.tokenizer() != null) {
            exists("model.tokenizer", model.tokenizer());
        }
        if (calibration != null && calibration.text() != null) {
            exists("calibration.text", calibration.text());
        }
        if (evaluation != null && evaluation.perplexity() != null && evaluation.perplexity().text() != null) {
            exists("evaluation.perplexity.text", evaluation.perplexity().text());
        }
    }

    /** A path or a {@code file:} URI. */
    static Path path(String field, String value) {
        try {
            return value.startsWith("file:") ? Path.of(URI.create(value)) : Path.of(value);
        } catch (IllegalArgumentException e) { // also InvalidPathException
            throw new InvalidSetting(field, "'" + value + "' is not a path: " + e.getMessage());
        }
    }

    private static void exists(String field, String value) {
        if (!Files.exists(path(field, value))) {
            throw new InvalidSetting(field, value + " does not exist on the gateway's filesystem");
        }
    }
}
