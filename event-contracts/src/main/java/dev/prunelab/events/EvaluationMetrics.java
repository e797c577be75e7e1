package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;

/**
 * The headline numbers of the evaluation result document (docs/evaluation.md "The result document"); a metric whose
 * section did not run is absent.
 *
 * @param perplexity            exp(mean NLL), at least 1
 * @param meanAcc               zero-shot mean accuracy, [0, 1]
 * @param ttftMillis            median time to first token at batch 1
 * @param tpotMillis            median time per output token at batch 1
 * @param decodeTokensPerSecond median decode tokens/s at batch 1
 * @param modelSizeBytes        model.onnx + model.onnx.data
 * @param peakRssBytes          peak resident memory of the evaluator
 * @param resultUri             the full result document, if stored
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationMetrics(Double perplexity, Double meanAcc, Double ttftMillis, Double tpotMillis,
                                Double decodeTokensPerSecond, Long modelSizeBytes, Long peakRssBytes,
                                String resultUri) {

    public EvaluationMetrics {
        if (perplexity != null && !(perplexity >= 1 && Double.isFinite(perplexity))) {
            throw new InvalidSetting("perplexity", perplexity + " must be a finite number >= 1");
        }
        if (meanAcc != null) {
            Check.closedFraction("meanAcc", meanAcc);
        }
        Check.positiveOrNull("ttftMillis", ttftMillis);
        Check.positiveOrNull("tpotMillis", tpotMillis);
        Check.positiveOrNull("decodeTokensPerSecond", decodeTokensPerSecond);
        Check.nonNegativeOrNull("modelSizeBytes", modelSizeBytes);
        Check.nonNegativeOrNull("peakRssBytes", peakRssBytes);
    }
}
