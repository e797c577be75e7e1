package dev.prunelab.pruning.prune;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised scoring primitives of RIA, DSnoT and the 4-bit quantizer (jdk.incubator.vector): sums of
 * magnitudes, relative importance, elementwise products. {@link Kernels} holds the linear-algebra primitives (dot,
 * axpy, rank-k and Gram updates); the two are apart so the calibration kernels and these evolve independently.
 * Offsets are in elements.
 */
final class ScoreKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ScoreKernels() {
    }

    /** Σ |w[off+i]| over i < len, each vector chunk reduced into a double. */
    static double sumAbs(float[] w, int off, int len) {
        double sum = 0;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            sum += FloatVector.fromArray(F, w, off + i).abs().reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            sum += Math.abs(w[off + i]);
        }
        return sum;
    }

    /** sums[i] += |w[off+i]| over i < len (column sums of |W|, one row at a time). */
    static void addAbs(float[] w, int off, double[] sums, int len) {
        for (int i = 0; i < len; i++) {
            sums[i] += Math.abs(w[off + i]);
        }
    }

    /**
     * RIA's score of one row: out[off+j] = |w_j|·(rowInverse + columnInverse[j])·activation[j], i.e.
     * (|W_ij|/Σ_k|W_ik| + |W_ij|/Σ_k|W_kj|)·‖X_j‖^a.
     */
    static void relativeImportance(float[] w, int off, float rowInverse, float[] columnInverse, float[] activation,
            float[] out, int len) {
        FloatVector row = FloatVector.broadcast(F, rowInverse);
        int j = 0;
        for (int bound = F.loopBound(len); j < bound; j += F.length()) {
            FloatVector.fromArray(F, w, off + j).abs()
                    .mul(FloatVector.fromArray(F, columnInverse, j).add(row))
                    .mul(FloatVector.fromArray(F, activation, j))
                    .intoArray(out, off + j);
        }
        for (; j < len; j++) {
            out[off + j] = Math.abs(w[off + j]) * (rowInverse + columnInverse[j]) * activation[j];
        }
    }

    /** out[j] = w[off+j]·factor[j] over j < len (DSnoT's W_ij·E[x_j] for one row). */
    static void times(float[] w, int off, float[] factor, float[] out, int len) {
        int j = 0;
        for (int bound = F.loopBound(len); j < bound; j += F.length()) {
            FloatVector.fromArray(F, w, off + j).mul(FloatVector.fromArray(F, factor, j)).intoArray(out, j);
        }
        for (; j < len; j++) {
            out[j] = w[off + j] * factor[j];
        }
    }
}
