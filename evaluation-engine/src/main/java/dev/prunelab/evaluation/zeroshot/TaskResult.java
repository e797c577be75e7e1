package dev.prunelab.evaluation.zeroshot;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The figures of one task over the items scored.
 *
 * @param acc        fraction of items whose highest summed continuation log-likelihood is the gold choice
 *                   (LAMBADA: fraction whose target word is the greedy continuation)
 * @param accStderr  sample standard error of {@code acc}, sqrt(acc (1 - acc) / (n - 1)) as the harness reports
 * @param accNorm    the same after dividing each log-likelihood by its choice's length in characters; null for
 *                   LAMBADA
 * @param perplexity LAMBADA only: exp(-mean over items of the target's summed log-likelihood); null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskResult(String task, String promptFormat, int items, double acc, double accStderr, Double accNorm,
        Double perplexity, double seconds) {
}
