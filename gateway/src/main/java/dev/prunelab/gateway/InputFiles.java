package dev.prunelab.gateway;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.work.InputRoots;

/**
 * The files a request names, checked at submission: each must lie inside the lab's input roots (models, data,
 * artifacts; {@link InputRoots}) and exist there (the services share the gateway's view of those roots), so a
 * request for {@code /etc/passwd} is a 400 that does not say whether it exists, and a missing model is refused once
 * instead of failing every run of the sweep in the pruner.
 */
public final class InputFiles {
    private final InputRoots roots;

    public InputFiles(InputRoots roots) {
        this.roots = roots;
    }

    /** Throws an {@link InvalidSetting} naming the field when a named file is outside the roots or missing. */
    public void check(ModelRef model, CalibrationSpec calibration, EvaluationSpec evaluation) {
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

    private void exists(String field, String value) {
        InputRoots.Confined file = roots.resolve(field, value);
        if (!file.exists()) {
            throw new InvalidSetting(field, file.display() + " does not exist");
        }
    }
}
