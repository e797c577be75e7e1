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
     * contiguous dot product; blocks of 4 output columns share each load of row i. H is the upper triangle packed by
     * rows ({@link UpperTriangle}).
     */
    static void addGramUpper(double[] xt, int tokens, int in, double scale, double[] h, int rowFrom, int rowTo) {
        double[] four = new double[4];
        for (int i = rowFrom; i < rowTo; i++) {
            int ai = i * tokens, hi = UpperTriangle.rowBase(in, i);
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

    /**
     * The same Gram update as {@link #addGramUpper}, by 4×4 register tiles: sixteen dot products over the
     * tokens share each load of four rows i and four rows j (16 multiply-adds per 8 loads, where the 1×4
     * kernel does 4 per 5), so the update runs at the multiply-add rate instead of the load rate. Each entry
     * sums in the same order as {@link #dot} (lane partials, then the lanes, then the tail): the results are the
     * 1×4 kernel's, bit for bit. Rows i in [rowFrom, rowTo); tiles start on the diagonal, and the tile's entries
     * below it are not written.
     */
    static void addGramUpperTiled(double[] xt, int tokens, int in, double scale, double[] h, int rowFrom, int rowTo) {
        double[] tile = new double[16]; // (4, 4) Σ_t xt[i0+a][t]·xt[j0+b][t]
        for (int i0 = rowFrom; i0 < rowTo; i0 += 4) {
            int ni = Math.min(4, rowTo - i0);
            for (int j0 = i0; j0 < in; j0 += 4) {
                int nj = Math.min(4, in - j0);
                if (ni == 4 && nj == 4) {
                    gramTile4x4(xt, tokens, i0 * tokens, j0 * tokens, tile);
                } else {
                    for (int a = 0; a < ni; a++) {
                        for (int b = 0; b < nj; b++) {
                            tile[a * 4 + b] = dot(xt, (i0 + a) * tokens, xt, (j0 + b) * tokens, tokens);
                        }
                    }
                }
                for (int a = 0; a < ni; a++) {
                    int row = UpperTriangle.rowBase(in, i0 + a);
                    for (int b = Math.max(0, i0 + a - j0); b < nj; b++) {
                        h[row + j0 + b] += scale * tile[a * 4 + b];
                    }
                }
            }
        }
    }

    /** tile[a·4+b] = Σ_t x[i+a·len+t]·x[j+b·len+t], a, b < 4: rows of length len starting at offsets i and j. */
    private static void gramTile4x4(double[] x, int len, int i, int j, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(D), c01 = c00, c02 = c00, c03 = c00;
        DoubleVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        DoubleVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int i1 = i + len, i2 = i1 + len, i3 = i2 + len;
        int j1 = j + len, j2 = j1 + len, j3 = j2 + len;
        int t = 0;
        for (int bound = D.loopBound(len); t < bound; t += D.length()) {
            DoubleVector b0 = DoubleVector.fromArray(D, x, j + t);
            DoubleVector b1 = DoubleVector.fromArray(D, x, j1 + t);
            DoubleVector b2 = DoubleVector.fromArray(D, x, j2 + t);
            DoubleVector b3 = DoubleVector.fromArray(D, x, j3 + t);
            DoubleVector a = DoubleVector.fromArray(D, x, i + t);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            c03 = a.fma(b3, c03);
            a = DoubleVector.fromArray(D, x, i1 + t);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            c13 = a.fma(b3, c13);
            a = DoubleVector.fromArray(D, x, i2 + t);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            c23 = a.fma(b3, c23);
            a = DoubleVector.fromArray(D, x, i3 + t);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            c33 = a.fma(b3, c33);
        }
        // reduced one by one: vectors kept in an array would be boxed, and the loop above with them
        tile[0] = tail(x, i, j, t, len, c00.reduceLanes(VectorOperators.ADD));
        tile[1] = tail(x, i, j1, t, len, c01.reduceLanes(VectorOperators.ADD));
        tile[2] = tail(x, i, j2, t, len, c02.reduceLanes(VectorOperators.ADD));
        tile[3] = tail(x, i, j3, t, len, c03.reduceLanes(VectorOperators.ADD));
        tile[4] = tail(x, i1, j, t, len, c10.reduceLanes(VectorOperators.ADD));
        tile[5] = tail(x, i1, j1, t, len, c11.reduceLanes(VectorOperators.ADD));
        tile[6] = tail(x, i1, j2, t, len, c12.reduceLanes(VectorOperators.ADD));
        tile[7] = tail(x, i1, j3, t, len, c13.reduceLanes(VectorOperators.ADD));
        tile[8] = tail(x, i2, j, t, len, c20.reduceLanes(VectorOperators.ADD));
        tile[9] = tail(x, i2, j1, t, len, c21.reduceLanes(VectorOperators.ADD));
        tile[10] = tail(x, i2, j2, t, len, c22.reduceLanes(VectorOperators.ADD));
        tile[11] = tail(x, i2, j3, t, len, c23.reduceLanes(VectorOperators.ADD));
        tile[12] = tail(x, i3, j, t, len, c30.reduceLanes(VectorOperators.ADD));
        tile[13] = tail(x, i3, j1, t, len, c31.reduceLanes(VectorOperators.ADD));
        tile[14] = tail(x, i3, j2, t, len, c32.reduceLanes(VectorOperators.ADD));
        tile[15] = tail(x, i3, j3, t, len, c33.reduceLanes(VectorOperators.ADD));
    }

    /** sum + Σ x[i+s]·x[j+s] for s in [from, len), in order (the scalar tail of a dot product). */
    private static double tail(double[] x, int i, int j, int from, int len, double sum) {
        for (int s = from; s < len; s++) {
            sum += x[i + s] * x[j + s];
        }
        return sum;
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
