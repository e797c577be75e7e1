package dev.prunelab.evaluation.zeroshot;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * lm-evaluation-harness scoring over a task's items: {@code acc} takes the argmax of summed continuation
 * log-likelihoods, {@code acc_norm} the argmax after dividing by the choice's length in characters (first
 * index on ties, as {@code np.argmax}); LAMBADA counts greedy targets and reports their perplexity.
 */
public final class ZeroShotEvaluator {
    private ZeroShotEvaluator() {
    }

    /**
     * @param progress called with the number of items done after each item
     */
    public static TaskResult evaluate(ZeroShotTask task, List<ZeroShotItem> items, LoglikelihoodScorer scorer,
            IntConsumer progress) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException(task.id() + ": no items to score");
        }
        long start = System.nanoTime();
        int correct = 0;
        int correctNorm = 0;
        double sumLogLikelihood = 0;
        int done = 0;
        for (ZeroShotItem item : items) {
            List<Loglikelihood> scores = scorer.score(item.requests());
            if (scores.size() != item.requests().size()) {
                throw new IllegalStateException("scorer returned " + scores.size() + " results for "
                        + item.requests().size() + " requests");
            }
            if (task.isLambada()) {
                Loglikelihood target = scores.get(0);
                correct += target.greedy() ? 1 : 0;
                sumLogLikelihood += target.logLikelihood();
            } else {
                correct += accChoice(scores) == item.gold() ? 1 : 0;
                correctNorm += accNormChoice(scores, item.normalizationLengths()) == item.gold() ? 1 : 0;
            }
            progress.accept(++done);
        }
        int n = items.size();
        double acc = (double) correct / n;
        double stderr = n > 1 ? Math.sqrt(acc * (1 - acc) / (n - 1)) : 0;
        double seconds = (System.nanoTime() - start) / 1e9;
        if (task.isLambada()) {
            return new TaskResult(task.id(), task.promptFormat(), n, acc, stderr, null,
                    Math.exp(-sumLogLikelihood / n), seconds);
        }
        return new TaskResult(task.id(), task.promptFormat(), n, acc, stderr, (double) correctNorm / n, null, seconds);
    }

    /** The choice {@code acc} picks: the highest summed log-likelihood, first on ties. */
    public static int accChoice(List<Loglikelihood> scores) {
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i).logLikelihood() > scores.get(best).logLikelihood()) {
                best = i;
            }
        }
        return best;
    }

    /** The choice {@code acc_norm} picks: the highest log-likelihood per character, first on ties. */
    public static int accNormChoice(List<Loglikelihood> scores, int[] lengths) {
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i).logLikelihood() / lengths[i] > scores.get(best).logLikelihood() / lengths[best]) {
                best = i;
            }
        }
        return best;
    }
}
