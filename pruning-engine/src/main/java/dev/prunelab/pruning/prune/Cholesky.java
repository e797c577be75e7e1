package dev.prunelab.pruning.prune;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Cholesky factorisation in double precision, row-major n×n, blocked and vectorised through
 * {@link Kernels}. SparseGPT needs the upper Cholesky factor U of H⁻¹ (UᵀU = H⁻¹, the reference's
 * {@code cholesky(cholesky_inverse(cholesky(H)), upper=True)}); {@link #inverseUpperFactor} gets the
 * same unique factor with one factorisation and one triangular inversion instead of three O(n³) steps:
 * with J the exchange (reversal) matrix and J·H·J = L·Lᵀ, U = J·L⁻¹·J is upper triangular with a
 * positive diagonal and UᵀU = J·L⁻ᵀ·L⁻¹·J = J·(J·H·J)⁻¹·J = H⁻¹.
 */
public final class Cholesky {
    private static final int PANEL = 64;

    private Cholesky() {
    }

    /**
     * Overwrites the lower triangle of the symmetric positive definite {@code a} (n×n) with L, A = L·Lᵀ,
     * and zeroes the upper triangle. Panels of 64 columns: the diagonal block sequentially, then all
     * rows below it in parallel, each row's dot products over the finished columns four at a time.
     *
     * @throws IllegalArgumentException if a pivot is not positive (A not positive definite)
     */
    public static void factorLower(double[] a, int n) {
        for (int k0 = 0; k0 < n; k0 += PANEL) {
            int start = k0, k1 = Math.min(k0 + PANEL, n);
            for (int i = start; i < k1; i++) {
                factorRow(a, n, i, start, k1);
            }
            int from = k1;
            IntStream.range(0, (n - from + 7) / 8).parallel().forEach(chunk -> {
                for (int i = from + chunk * 8, end = Math.min(i + 8, n); i < end; i++) {
                    factorRow(a, n, i, start, from);
                }
            });
        }
        for (int i = 0; i < n; i++) {
            Arrays.fill(a, i * n + i + 1, i * n + n, 0.0);
        }
    }

    /** L[i][j] for j in [k0, min(k1, i+1)): L[i][j] = (A[i][j] − Σ_{p<j} L[i][p]·L[j][p]) / L[j][j]. */
    private static void factorRow(double[] a, int n, int i, int k0, int k1) {
        int end = Math.min(k1, i + 1);
        int row = i * n;
        double[] four = new double[4];
        int j = k0;
        for (; j + 4 <= end; j += 4) { // the part over finished panels, four columns per pass
            Kernels.dot4(a, row, a, j * n, (j + 1) * n, (j + 2) * n, (j + 3) * n, k0, four);
            for (int q = 0; q < 4; q++) {
                a[row + j + q] -= four[q];
            }
        }
        for (; j < end; j++) {
            a[row + j] -= Kernels.dot(a, row, a, j * n, k0);
        }
        for (j = k0; j < end; j++) { // the part inside this panel
            double s = a[row + j] - Kernels.dot(a, row + k0, a, j * n + k0, j - k0);
            if (j == i) {
                if (!(s > 0)) {
                    throw new IllegalArgumentException("matrix is not positive definite: pivot " + s + " at column " + j);
                }
                a[row + j] = Math.sqrt(s);
            } else {
                a[row + j] = s / a[j * n + j];
            }
        }
    }

    /**
     * Inverts a lower triangular L (n×n, row-major) into a new array. Column panels of X = L⁻¹ are
     * independent (run in parallel); within one, X[i][j] = (δ_ij − Σ_{j<=k<i} L[i][k]·X[k][j]) / L[i][i]
     * for rows i in order, the panel kept transposed so each sum is a contiguous dot product, four
     * columns per load of L's row.
     */
    public static double[] invertLower(double[] l, int n) {
        double[] x = new double[n * n];
        invertLower(l, n, x, null);
        return x;
    }

    /**
     * L⁻¹ written into {@code x} (n×n, zero above the diagonal) or, when {@code x} is null, flipped and narrowed
     * into {@code flippedFloat}: flippedFloat[(n−1−i)·n + (n−1−j)] = (float) X[i][j]. Each panel reads only L and its
     * own double-precision columns, never the output, so the output may be float.
     */
    private static void invertLower(double[] l, int n, double[] x, float[] flippedFloat) {
        int width = 32;
        IntStream.range(0, (n + width - 1) / width).parallel().forEach(p -> {
            int c = p * width, w = Math.min(width, n - c);
            double[] columns = new double[w * n]; // columns[q][k] = X[k][c+q]
            double[] four = new double[4];
            for (int i = c; i < n; i++) {
                int li = i * n;
                double inverseDiagonal = 1.0 / l[li + i];
                int q = 0;
                for (; q + 4 <= w; q += 4) {
                    Kernels.dot4(l, li + c, columns, q * n + c, (q + 1) * n + c, (q + 2) * n + c, (q + 3) * n + c, i - c, four);
                    for (int r = 0; r < 4; r++) {
                        columns[(q + r) * n + i] = ((i == c + q + r ? 1.0 : 0.0) - four[r]) * inverseDiagonal;
                    }
                }
                for (; q < w; q++) {
                    double dot = Kernels.dot(l, li + c, columns, q * n + c, i - c);
                    columns[q * n + i] = ((i == c + q ? 1.0 : 0.0) - dot) * inverseDiagonal;
                }
                if (x != null) {
                    for (q = 0; q < w; q++) {
                        x[li + c + q] = columns[q * n + i];
                    }
                } else {
                    int flippedRow = (n - 1 - i) * n + n - 1 - c;
                    for (q = 0; q < w; q++) {
                        flippedFloat[flippedRow - q] = (float) columns[q * n + i];
                    }
                }
            }
        });
    }

    /**
     * {@link #inverseUpperFactor} narrowed to float32, the values SparseGPT's sweep uses, computed with {@code h} as
     * the work space (it is destroyed): J·H·J is H's flat array reversed in place and factored in place, and L⁻¹ is
     * written flipped straight into the float result. For the widest input of an 8B model (n = 14336) that is 1.6 GB
     * of double and 0.8 GB of float at once, where the copying path holds three n×n doubles (4.9 GB) and the float.
     * Bit for bit the float of {@link #inverseUpperFactor}'s result.
     */
    public static float[] inverseUpperFactorFloat(double[] h, int n) {
        for (int front = 0, back = n * n - 1; front < back; front++, back--) {
            double swap = h[front];
            h[front] = h[back];
            h[back] = swap;
        }
        factorLower(h, n);
        float[] u = new float[n * n];
        invertLower(h, n, null, u);
        return u;
    }

    /**
     * The upper Cholesky factor U of H⁻¹ (UᵀU = H⁻¹), which SparseGPT calls {@code Hinv}. {@code h} is
     * not modified.
     */
    public static double[] inverseUpperFactor(double[] h, int n) {
        double[] flipped = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                flipped[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
            }
        }
        factorLower(flipped, n);
        double[] inverse = invertLower(flipped, n);
        double[] u = flipped; // reuse the storage
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                u[i * n + j] = inverse[(n - 1 - i) * n + (n - 1 - j)];
            }
        }
        return u;
    }
}
