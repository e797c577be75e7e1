package dev.prunelab.evaluation.quality;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Log-probabilities from a logits row, with the Vector API: a row of a 128k vocabulary is scanned twice
 * (max, then sum of exp) for every scored token.
 */
public final class LogSoftmax {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private LogSoftmax() {
    }

    /** log(sum_j exp(row[j])), computed stably around the row's maximum. */
    public static double logSumExp(float[] row) {
        int length = row.length;
        float max = max(row);
        FloatVector sumVector = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(length); i < bound; i += SPECIES.length()) {
            sumVector = sumVector.add(FloatVector.fromArray(SPECIES, row, i).sub(max).lanewise(VectorOperators.EXP));
        }
        double sum = sumVector.reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            sum += Math.exp(row[i] - max);
        }
        return max + Math.log(sum);
    }

    /** Negative log-likelihood of {@code target} under the logits row at {@code offset} in {@code logits}. */
    public static double negativeLogLikelihood(FloatBuffer logits, int offset, int vocab, int target, float[] scratch) {
        logits.get(offset, scratch, 0, vocab);
        return logSumExp(scratch) - scratch[target];
    }

    /** Index of the largest logit (first on ties): greedy decoding. */
    public static int argmax(float[] row) {
        // a vector pass for the maximum, then the first lane holding it: a decode step of a 32k vocabulary
        // otherwise spends tens of microseconds in a scalar compare-and-branch loop
        int length = row.length;
        float max = max(row);
        int bound = SPECIES.loopBound(length);
        int i = 0;
        for (; i < bound; i += SPECIES.length()) {
            var equal = FloatVector.fromArray(SPECIES, row, i).compare(VectorOperators.EQ, max);
            if (equal.anyTrue()) {
                return i + equal.firstTrue();
            }
        }
        for (; i < length; i++) {
            if (row[i] == max) {
                return i;
            }
        }
        int best = 0;                       // a NaN logit makes the maximum NaN, equal to none: the plain scan
        for (i = 1; i < length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The largest value of the row (NaN when one is NaN, as Math.max), on the Vector API. */
    private static float max(float[] row) {
        int length = row.length;
        int i = 0;
        FloatVector maxVector = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int bound = SPECIES.loopBound(length); i < bound; i += SPECIES.length()) {
            maxVector = maxVector.max(FloatVector.fromArray(SPECIES, row, i));
        }
        float max = maxVector.reduceLanes(VectorOperators.MAX);
        for (; i < length; i++) {
            max = Math.max(max, row[i]);
        }
        return max;
    }
}
