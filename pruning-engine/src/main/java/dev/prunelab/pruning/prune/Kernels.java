package dev.prunelab.pruning.prune;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised primitives the pruning math is built from (jdk.incubator.vector). Every heavy loop of
 * the package goes through one of these: dot products, axpy, the rank-k update of a row block
 * ({@code C -= A·B}), the Gram update {@code H += c·XᵀX}, and the elementwise score maps.
 * All matrices are row-major; offsets and leading dimensions ({@code ld}) are in elements.
 */
final class Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private Kernels() {
    }

    /** Σ a[aOff+i]·b[bOff+i] over i < len. */
    static double dot(double[] a, int aOff, double[] b, int bOff, int len) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int bound = D.loopBound(len); i < bound; i += D.length()) {
            acc = DoubleVector.fromArray(D, a, aOff + i).fma(DoubleVector.fromArray(D, b, bOff + i), acc);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /**
     * Four dot products sharing the left operand: out[q] = Σ a[aOff+i]·b[bOff[q]+i], q < 4. Loads
     * {@code a} once for four multiply-adds (the inner kernel of the blocked Cholesky and of XᵀX).
     */
    static void dot4(double[] a, int aOff, double[] b, int b0, int b1, int b2, int b3, int len, double[] out) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = D.loopBound(len); i < bound; i += D.length()) {
            DoubleVector va = DoubleVector.fromArray(D, a, aOff + i);
            s0 = va.fma(DoubleVector.fromArray(D, b, b0 + i), s0);
            s1 = va.fma(DoubleVector.fromArray(D, b, b1 + i), s1);
            s2 = va.fma(DoubleVector.fromArray(D, b, b2 + i), s2);
            s3 = va.fma(DoubleVector.fromArray(D, b, b3 + i), s3);
        }
        double r0 = s0.reduceLanes(VectorOperators.ADD), r1 = s1.reduceLanes(VectorOperators.ADD);
        double r2 = s2.reduceLanes(VectorOperators.ADD), r3 = s3.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double x = a[aOff + i];
            r0 += x * b[b0 + i];
            r1 += x * b[b1 + i];
            r2 += x * b[b2 + i];
            r3 += x * b[b3 + i];
        }
        out[0] = r0;
        out[1] = r1;
        out[2] = r2;
        out[3] = r3;
    }

    /** y[yOff+i] += alpha·x[xOff+i] over i < len. */
    static void axpy(double alpha, double[] x, int xOff, double[] y, int yOff, int len) {
        DoubleVector va = DoubleVector.broadcast(D, alpha);
        int i = 0;
        for (int bound = D.loopBound(len); i < bound; i += D.length()) {
            DoubleVector.fromArray(D, x, xOff + i).fma(va, DoubleVector.fromArray(D, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** y[yOff+i] += alpha·x[xOff+i] over i < len (float). */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** x[off+i] *= alpha over i < len. */
    static void scale(double alpha, double[] x, int off, int len) {
        int i = 0;
        for (int bound = D.loopBound(len); i < bound; i += D.length()) {
            DoubleVector.fromArray(D, x, off + i).mul(alpha).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            x[off + i] *= alpha;
        }
    }

    /**
     * Rank-k update of a row block: C[r][c] -= Σ_k A[r][k]·B[k][c] for r < rows, c < cols. Four rows of
     * C share each loaded vector of B; the accumulators stay in registers across the k loop. This is
     * SparseGPT's lazy batch update {@code W[:, i2:] -= Err1 · Hinv[i1:i2, i2:]}.
     */
    static void subtractProduct(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int rows, int k, int cols) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = aOff + r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            int c0 = cOff + r * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            int j = 0;
            for (int bound = F.loopBound(cols); j < bound; j += F.length()) {
                FloatVector acc0 = FloatVector.fromArray(F, c, c0 + j);
                FloatVector acc1 = FloatVector.fromArray(F, c, c1 + j);
                FloatVector acc2 = FloatVector.fromArray(F, c, c2 + j);
                FloatVector acc3 = FloatVector.fromArray(F, c, c3 + j);
                for (int q = 0; q < k; q++) {
                    FloatVector vb = FloatVector.fromArray(F, b, bOff + q * ldb + j);
                    acc0 = vb.fma(FloatVector.broadcast(F, -a[a0 + q]), acc0);
                    acc1 = vb.fma(FloatVector.broadcast(F, -a[a1 + q]), acc1);
                    acc2 = vb.fma(FloatVector.broadcast(F, -a[a2 + q]), acc2);
                    acc3 = vb.fma(FloatVector.broadcast(F, -a[a3 + q]), acc3);
                }
                acc0.intoArray(c, c0 + j);
                acc1.intoArray(c, c1 + j);
                acc2.intoArray(c, c2 + j);
                acc3.intoArray(c, c3 + j);
            }
            for (; j < cols; j++) {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int q = 0; q < k; q++) {
                    float vb = b[bOff + q * ldb + j];
                    s0 += a[a0 + q] * vb;
                    s1 += a[a1 + q] * vb;
                    s2 += a[a2 + q] * vb;
                    s3 += a[a3 + q] * vb;
                }
                c[c0 + j] -= s0;
                c[c1 + j] -= s1;
                c[c2 + j] -= s2;
                c[c3 + j] -= s3;
            }
        }
        for (; r < rows; r++) { // leftover rows: one axpy per k
            for (int q = 0; q < k; q++) {
                float alpha = -a[aOff + r * lda + q];
                if (alpha != 0) {
                    axpy(alpha, b, bOff + q * ldb, c, cOff + r * ldc, cols);
                }
            }
        }
    }

    /**
     * Gram update of the upper triangle, H[i][j] += scale·Σ_t xt[i][t]·xt[j][t] for j >= i (rows i in
     * [rowFrom, rowTo)), with {@code xt} the TRANSPOSED batch [in, tokens] so every term is a
     * contiguous dot product; blocks of 4 output columns share each load of row i.
     */
    static void addGramUpper(double[] xt, int tokens, int in, double scale, double[] h, int rowFrom, int rowTo) {
        double[] four = new double[4];
        for (int i = rowFrom; i < rowTo; i++) {
            int ai = i * tokens, hi = i * in;
            int j = i;
            for (; j + 4 <= in; j += 4) {
                dot4(xt, ai, xt, j * tokens, (j + 1) * tokens, (j + 2) * tokens, (j + 3) * tokens, tokens, four);
                h[hi + j] += scale * four[0];
                h[hi + j + 1] += scale * four[1];
                h[hi + j + 2] += scale * four[2];
                h[hi + j + 3] += scale * four[3];
            }
            for (; j < in; j++) {
                h[hi + j] += scale * dot(xt, ai, xt, j * tokens, tokens);
            }
        }
    }

    /** Wanda's score for one row: out[i] = |w[wOff+i]|·norms[i] over i < len. */
    static void absTimes(float[] w, int wOff, float[] norms, float[] out, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            FloatVector.fromArray(F, w, wOff + i).abs().mul(FloatVector.fromArray(F, norms, i)).intoArray(out, i);
        }
        for (; i < len; i++) {
            out[i] = Math.abs(w[wOff + i]) * norms[i];
        }
    }

    /** SparseGPT's OBS score for one row of a block: out[outOff+i] = w[wOff+i]²·invD2[i] over i < len. */
    static void squareTimes(float[] w, int wOff, float[] invD2, float[] out, int outOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, w, wOff + i);
            v.mul(v).mul(FloatVector.fromArray(F, invD2, i)).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            float v = w[wOff + i];
            out[outOff + i] = v * v * invD2[i];
        }
    }

    /** Σ |w[wOff+i]|·norms[i] over i < len, accumulated in double per vector chunk. */
    static double sumAbsTimes(float[] w, int wOff, float[] norms, int len) {
        double sum = 0;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            sum += FloatVector.fromArray(F, w, wOff + i).abs().mul(FloatVector.fromArray(F, norms, i))
                    .reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            sum += Math.abs(w[wOff + i]) * norms[i];
        }
        return sum;
    }

    /** How many i < len have |w[wOff+i]|·norms[i] > threshold. */
    static int countAbove(float[] w, int wOff, float[] norms, float threshold, int len) {
        int count = 0;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            count += FloatVector.fromArray(F, w, wOff + i).abs().mul(FloatVector.fromArray(F, norms, i))
                    .compare(VectorOperators.GT, threshold).trueCount();
        }
        for (; i < len; i++) {
            if (Math.abs(w[wOff + i]) * norms[i] > threshold) {
                count++;
            }
        }
        return count;
    }

    /** Number of exact zeros in w. */
    static long countZeros(float[] w) {
        long count = 0;
        int i = 0;
        for (int bound = F.loopBound(w.length); i < bound; i += F.length()) {
            count += FloatVector.fromArray(F, w, i).compare(VectorOperators.EQ, 0f).trueCount();
        }
        for (; i < w.length; i++) {
            if (w[i] == 0f) {
                count++;
            }
        }
        return count;
    }
}
