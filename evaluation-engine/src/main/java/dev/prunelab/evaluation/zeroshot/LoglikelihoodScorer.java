package dev.prunelab.evaluation.zeroshot;

import java.util.List;

/**
 * Scores the requests of one item (its choices) together, so an implementation can put them in one batch or
 * share their common prefix. Kept small so the selection logic ({@link ZeroShotEvaluator}) is tested without
 * a model.
 */
public interface LoglikelihoodScorer {
    /** One result per request, in order. */
    List<Loglikelihood> score(List<Request> requests);
}
