package dev.prunelab.pruning.prune;

import dev.prunelab.pruning.quantize.BlockQuantizer;
import java.util.stream.IntStream;

/**
 * GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
 * Algorithm 1) onto the asymmetric int4 block grids of {@link BlockQuantizer#quantizeAsymmetric}, keeping a mask:
 * <ol>
 *   <li>H = (2/n)·XᵀX (the pruners' {@link InputStatistics#hessian}); a dead input gets H_jj = 1 and W[:, j] = 0;
 *       damping {@code dampeningFraction}·mean(diag H); Hinv = the upper Cholesky factor of H⁻¹ (as {@link SparseGpt}).</li>
 *   <li>Columns in order, in lazy batches of {@code lazyBlock}. When column j starts a group of {@code groupSize}
 *       inputs, each row's grid (scale, zero point) is chosen from the group's current, already updated weights
 *       (GPTQ's group-wise quantization: the grid sees the error feedback of the columns before it), by the
 *       reference quantizer's error search over shrunk ranges ({@link #chooseGrid}).</li>
 *   <li>Each weight is rounded to its grid, q = (clamp(round(w/s) + zp, 0, 15) − zp)·s; a masked weight (zero on
 *       entry: a pruned one) is set to q = 0 instead, which its grid holds exactly. The error err = (w − q)/[Hinv]_jj
 *       is compensated in the rest of the batch, W[:, j+1:] −= err ⊗ Hinv[j, j+1:] (Eq. 3), and the batch's errors
 *       reach the later columns lazily, W[:, end:] −= Err · Hinv[batch, end:] ({@link Kernels#subtractProduct}).</li>
 * </ol>
 * A masked weight receives updates while its column waits and is set back to exactly 0 when its column is
 * quantized, its own error pushed to the later columns like a pruned weight's in SparseGPT: the mask is unchanged.
 *
 * @param dampeningFraction the reference's {@code percdamp}, 0.01
 * @param lazyBlock         columns per lazy batch, the reference's 128 (a multiple of {@code groupSize})
 * @param groupSize         inputs per grid, the export's block (MatMulNBits' {@code block_size})
 */
public record Gptq(double dampeningFraction, int lazyBlock, int groupSize) {
    private static final int ROWS_PER_TASK = 16;
    /** The reference quantizer's grid search: shrink by 1% steps down to 1 − maxshrink (0.8), error norm 2.4. */
    private static final int SHRINK_STEPS = 80;
    private static final double ERROR_NORM = 2.4;

    public Gptq {
        if (!(dampeningFraction >= 0) || groupSize < 16 || Integer.bitCount(groupSize) != 1
                || lazyBlock <= 0 || lazyBlock % groupSize != 0) {
            throw new IllegalArgumentException("need dampeningFraction >= 0, groupSize a power of two >= 16 and "
                    + "lazyBlock a multiple of it, was " + dampeningFraction + ", " + groupSize + ", " + lazyBlock);
        }
    }

    /** The paper's damping and lazy batch (1%, 128 columns) with blocks of {@code groupSize}. */
    public static Gptq withGroups(int groupSize) {
        return new Gptq(0.01, Math.max(128, groupSize), groupSize);
    }

    /**
     * Quantizes W [out, in] (row-major, modified in place to the dequantized weights) with the Hessian
     * {@code h} [in, in] (modified: damping).
     *
     * @return the codes, scales and zero points, packed for MatMulNBits
     */
    public BlockQuantizer.Quantized quantize(float[] weight, int out, int in, double[] h) {
        if ((long) out * in != weight.length || (long) in * in != h.length) {
            throw new IllegalArgumentException("weight of " + weight.length + " values and Hessian of " + h.length
                    + " do not match " + out + " x " + in);
        }
        boolean[] masked = new boolean[weight.length];
        for (int i = 0; i < weight.length; i++) {
            masked[i] = weight[i] == 0f;
        }
        float[] hinv = SparseGpt.inverseHessianFactor(dampeningFraction, weight, out, in, h);
        int groups = (in + groupSize - 1) / groupSize;
        byte[] codes = new byte[out * in];
        float[] scales = new float[out * groups];
        int[] zeroPoints = new int[out * groups];
        for (int start = 0; start < in; start += lazyBlock) {
            int i1 = start, i2 = Math.min(start + lazyBlock, in), count = i2 - i1;
            IntStream.range(0, (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK).parallel().forEach(task -> {
                int r0 = task * ROWS_PER_TASK, rows = Math.min(ROWS_PER_TASK, out - r0);
                float[] err = new float[rows * count]; // (rows, count) the batch's Err1
                float[] grid = new float[2];
                for (int r = 0; r < rows; r++) {
                    int row = r0 + r;
                    for (int i = 0; i < count; i++) {
                        int col = i1 + i, at = row * in + col;
                        if (col % groupSize == 0) {
                            chooseGrid(weight, at, masked, at, Math.min(groupSize, in - col), grid);
                            scales[row * groups + col / groupSize] = grid[0];
                            zeroPoints[row * groups + col / groupSize] = (int) grid[1];
                        }
                        float s = scales[row * groups + col / groupSize];
                        int zp = zeroPoints[row * groups + col / groupSize];
                        float w = weight[at];
                        int code = masked[at] ? zp : code(w, s, zp);
                        float q = (code - zp) * s;
                        codes[at] = (byte) code;
                        float d = hinv[col * in + col];
                        float e = (w - q) / d;
                        err[r * count + i] = e;
                        if (e != 0f) {
                            Kernels.axpy(-e, hinv, col * in + col + 1, weight, at + 1, count - i - 1);
                        }
                        weight[at] = q;
                    }
                }
                if (i2 < in) {
                    Kernels.subtractProduct(err, 0, count, hinv, i1 * in + i2, in, weight, r0 * in + i2, in, rows,
                            count, in - i2);
                }
            });
        }
        return BlockQuantizer.packAsymmetric(codes, scales, zeroPoints, out, in, groupSize);
    }

    /**
     * The asymmetric grid of a row's group over its kept (unmasked) weights, 0 always on it: as the GPTQ reference's
     * quantizer with {@code mse}, the range [min, max] shrunk by p = 1, 0.99, ..., 0.21 and the grid kept whose
     * rounding error Σ|w − q|^2.4 is least (a clipped outlier can cost less than a coarser step for all the others).
     * The group is {@code w[from, from + len)}, its mask {@code masked[maskFrom, maskFrom + len)}.
     */
    static void chooseGrid(float[] w, int from, boolean[] masked, int maskFrom, int len, float[] grid) {
        float min = 0, max = 0;
        for (int i = 0; i < len; i++) {
            if (!masked[maskFrom + i]) {
                min = Math.min(min, w[from + i]);
                max = Math.max(max, w[from + i]);
            }
        }
        BlockQuantizer.asymmetricGrid(min, max, grid);
        if (grid[0] == 0f) {
            return;
        }
        float bestScale = grid[0], bestZp = grid[1];
        double bestError = Double.POSITIVE_INFINITY;
        float[] candidate = new float[2];
        for (int step = 0; step < SHRINK_STEPS; step++) {
            float p = 1f - step / 100f;
            BlockQuantizer.asymmetricGrid(p * min, p * max, candidate);
            float s = candidate[0];
            int zp = (int) candidate[1];
            double error = 0;
            for (int i = 0; i < len && error < bestError; i++) {
                if (!masked[maskFrom + i]) {
                    float v = w[from + i];
                    error += Math.pow(Math.abs(v - (code(v, s, zp) - zp) * s), ERROR_NORM);
                }
            }
            if (error < bestError) {
                bestError = error;
                bestScale = s;
                bestZp = zp;
            }
        }
        grid[0] = bestScale;
        grid[1] = bestZp;
    }

    /** clamp(round(w/s) + zp, 0, 15), half away from zero as {@link BlockQuantizer}. */
    static int code(float w, float s, int zp) {
        if (s == 0f) {
            return zp;
        }
        float x = w / s;
        int q = (int) (x + (x < 0 ? -0.5f : 0.5f));
        return Math.max(0, Math.min(15, q + zp));
    }
}
