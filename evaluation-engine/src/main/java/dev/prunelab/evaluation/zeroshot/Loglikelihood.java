package dev.prunelab.evaluation.zeroshot;

/**
 * What a model says about one {@link Request}.
 *
 * @param logLikelihood sum over the continuation's tokens of log p(token | everything before it), natural log
 * @param greedy        true when every continuation token is the argmax of its position (greedy decoding
 *                      would have produced the continuation)
 * @param tokens        number of continuation tokens scored
 */
public record Loglikelihood(double logLikelihood, boolean greedy, int tokens) {
    public Loglikelihood {
        if (Double.isNaN(logLikelihood) || logLikelihood > 1e-6) {
            throw new IllegalArgumentException("log-likelihood must be <= 0, was " + logLikelihood);
        }
        if (tokens < 1) {
            throw new IllegalArgumentException("a continuation has at least one token, was " + tokens);
        }
    }
}
