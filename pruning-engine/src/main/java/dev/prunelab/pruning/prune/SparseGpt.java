package dev.prunelab.pruning.prune;

import dev.prunelab.pruning.quantize.BlockQuantizer;
import dev.prunelab.vocabulary.PruneMethod;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * SparseGPT (Frantar &amp; Alistarh 2023, "Massive Language Models Can Be Accurately Pruned in One-Shot",
 * Algorithm 1), as in the reference {@code fasterprune}:
 * <ol>
 *   <li>H = (2/n)·XᵀX; a dead input (H_jj = 0) gets H_jj = 1 and W[:, j] = 0; the diagonal is damped by
 *       {@code dampeningFraction}·mean(diag H); Hinv = the upper Cholesky factor of H⁻¹.</li>
 *   <li>Columns in blocks of {@code blockSize}. The mask of a weight is chosen by the OBS saliency
 *       w²/[Hinv]_jj² (Sec. 3, the OBS error ε = w²/[H⁻¹]_jj, with the Cholesky row standing in for the inverse-Hessian row): unstructured, over the
 *       whole block (all rows, as the reference's flattened sort); N:M, every m columns inside the block,
 *       per row, on the already updated weights.</li>
 *   <li>Column by column, the pruned weight's error err = (w − q)/[Hinv]_jj is compensated in the rest of
 *       the block, W[:, j:] −= err ⊗ Hinv[j, j:] (the OBS update δ = −(w/[H⁻¹]_jj)·H⁻¹_{j,:}, Sec. 3), and the block's errors reach the
 *       remaining columns lazily, W[:, end:] −= Err · Hinv[block, end:].</li>
 * </ol>
 * Choices where the reference is loose: a block prunes an exact count, floor(s·out·end) − floor(s·out·start),
 * so the matrix ends at exactly floor(s·out·in) chosen weights (the reference's {@code <= threshold} takes
 * one extra per block plus ties); ties go to the lower index (row-major in the block). Rows are independent
 * inside a block, so the column sweep and the lazy update run in parallel over groups of rows; the
 * lazy update is the {@link Kernels#subtractProduct} rank-{@code blockSize} kernel. H⁻¹ work is in double,
 * the sweep in float32 like the reference.
 *
 * @param dampeningFraction the reference's {@code percdamp}, 0.01
 * @param blockSize         columns per lazy-update block, the reference's 128
 */
public record SparseGpt(double dampeningFraction, int blockSize) implements PruningMethod {
    private static final int ROWS_PER_TASK = 16;

    public SparseGpt {
        if (!(dampeningFraction >= 0) || blockSize <= 0) {
            throw new IllegalArgumentException("need dampeningFraction >= 0 and blockSize > 0, was "
                    + dampeningFraction + " and " + blockSize);
        }
    }

    /** The paper's defaults: 1% dampening, blocks of 128 columns. */
    public SparseGpt() {
        this(0.01, 128);
    }

    @Override
    public PruneMethod word() {
        return PruneMethod.SPARSEGPT;
    }

    @Override
    public PruneResult prune(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        checkArguments(weight, out, in, stats, pattern);
        float[] hinv = inverseHessianFactor(dampeningFraction, weight, out, in, stats.hessian());
        for (int i1 = 0; i1 < in; i1 += blockSize) {
            pruneBlock(weight, out, in, hinv, i1, Math.min(i1 + blockSize, in), pattern, null);
        }
        return PruneResult.measure(weight, pattern);
    }

    /** A matrix pruned and quantized in one pass: its sparsity and its int4 blocks for the export. */
    public record Joint(PruneResult result, BlockQuantizer.Quantized quantized) {
    }

    /**
     * Pruning and 4-bit quantization in one column sweep, as the SparseGPT paper's joint 50% + 4-bit compression
     * (Sec. 3.4): each column's pruned weights become 0 and its kept ones their value on the row's asymmetric int4
     * grid of {@code groupSize} inputs ({@link Gptq}'s grid, chosen when the sweep reaches the group's first column
     * from the weights as updated so far, over the weights the mask keeps), and the error of both is compensated in
     * the columns after it. The masks of later blocks are chosen on weights that already carry the quantization
     * error feedback, which a prune followed by a separate GPTQ pass cannot do. With N:M, the groups inside a
     * quantization group are chosen when the group starts (its grid must know which weights it keeps).
     * {@code weight} ends as the dequantized weights.
     */
    public Joint pruneAndQuantize(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern,
                                  int groupSize) {
        checkArguments(weight, out, in, stats, pattern);
        if (groupSize < 16 || Integer.bitCount(groupSize) != 1 || blockSize % groupSize != 0
                || (pattern instanceof SparsityPattern.NM nm && groupSize % nm.m() != 0)) {
            throw new IllegalArgumentException("groupSize " + groupSize + " must be a power of two >= 16 dividing "
                    + "blockSize " + blockSize + " and a multiple of the pattern's M");
        }
        float[] hinv = inverseHessianFactor(dampeningFraction, weight, out, in, stats.hessian());
        int groups = (in + groupSize - 1) / groupSize;
        Quantization q = new Quantization(groupSize, groups, new byte[out * in], new float[out * groups],
                new int[out * groups], new LongAdder());
        for (int i1 = 0; i1 < in; i1 += blockSize) {
            pruneBlock(weight, out, in, hinv, i1, Math.min(i1 + blockSize, in), pattern, q);
        }
        // the pruned zeros, as a float prune counts them: a kept weight that rounds to 0 is not one of them
        long zeros = q.pruned.sum();
        return new Joint(new PruneResult(zeros, weight.length, (double) zeros / weight.length, pattern.sparsity()),
                BlockQuantizer.packAsymmetric(q.codes, q.scales, q.zeroPoints, out, in, groupSize));
    }

    /**
     * The joint sweep's int4 state: codes [out, in], per row and group the scale and zero point, and the count of
     * weights that were zero before rounding (masked, or a dead input's).
     */
    private record Quantization(int groupSize, int groups, byte[] codes, float[] scales, int[] zeroPoints,
                                LongAdder pruned) {
    }

    private void checkArguments(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        if (stats == null || !stats.tracksHessian()) {
            throw new IllegalArgumentException("SparseGPT needs input statistics with the Hessian (withHessian = true)");
        }
        PruningMethod.checkArguments(weight, out, in, stats, pattern);
        if (pattern instanceof SparsityPattern.NM nm && blockSize % nm.m() != 0) {
            throw new IllegalArgumentException("blockSize " + blockSize + " must be a multiple of M=" + nm.m());
        }
    }

    /** Step 1: dead inputs, dampening, Hinv = chol(H⁻¹)ᵀ-upper, returned in float32; {@code h} is destroyed. */
    static float[] inverseHessianFactor(double dampeningFraction, float[] weight, int out, int in, double[] h) {
        double diagonalSum = 0;
        for (int j = 0; j < in; j++) {
            if (h[j * in + j] == 0) {
                h[j * in + j] = 1;
                for (int r = 0; r < out; r++) {
                    weight[r * in + j] = 0f;
                }
            }
            diagonalSum += h[j * in + j];
        }
        double damp = dampeningFraction * diagonalSum / in;
        for (int j = 0; j < in; j++) {
            h[j * in + j] += damp;
        }
        return Cholesky.inverseUpperFactorFloat(h, in); // h is the work space from here on
    }

    /** Steps 2 and 3 for the columns [i1, i2); with {@code quantization}, the kept weights go onto its grids. */
    private void pruneBlock(float[] w, int out, int in, float[] hinv, int i1, int i2, SparsityPattern pattern,
                            Quantization quantization) {
        int count = i2 - i1;
        float[] d = new float[count];       // [Hinv]_jj of the block
        float[] invD2 = new float[count];   // 1 / [Hinv]_jj²
        for (int i = 0; i < count; i++) {
            d[i] = hinv[(i1 + i) * in + i1 + i];
            invD2[i] = 1f / (d[i] * d[i]);
        }
        boolean[] mask = new boolean[out * count]; // (out, count) true = prune
        if (pattern instanceof SparsityPattern.Unstructured u) {
            float[] score = new float[out * count];
            for (int r = 0; r < out; r++) {
                Kernels.squareTimes(w, r * in + i1, invD2, score, r * count, count);
            }
            long k = Selection.pruneCount(u.sparsity(), (long) out * i2) - Selection.pruneCount(u.sparsity(), (long) out * i1);
            Selection.markSmallest(score, 0, score.length, k, mask, 0);
        }
        SparsityPattern.NM nm = pattern instanceof SparsityPattern.NM p ? p : null;
        IntStream.range(0, (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK).parallel().forEach(task -> {
            int r0 = task * ROWS_PER_TASK, rows = Math.min(ROWS_PER_TASK, out - r0);
            float[] err = new float[rows * count]; // (rows, count) the block's Err1
            long zeros = 0;
            for (int r = 0; r < rows; r++) {
                zeros += sweepRow(w, (r0 + r) * in + i1, in, hinv, i1, count, d, invD2, mask, (r0 + r) * count, nm,
                        err, r * count, quantization, r0 + r);
            }
            if (quantization != null) {
                quantization.pruned.add(zeros);
            }
            if (i2 < in) {
                Kernels.subtractProduct(err, 0, count, hinv, i1 * in + i2, in, w, r0 * in + i2, in, rows, count, in - i2);
            }
        });
    }

    /** The masks of the row's N:M groups that start in [from, until), on its weights as they are now. */
    private static void chooseNm(float[] w, int wOff, float[] invD2, boolean[] mask, int maskOff,
                                 SparsityPattern.NM nm, float[] groupScore, int from, int until, int count) {
        for (int g = from; g < Math.min(until, count); g += nm.m()) {
            int size = Math.min(nm.m(), count - g);     // only the model's last block can end mid-group
            for (int q = 0; q < size; q++) {
                float v = w[wOff + g + q];
                groupScore[q] = v * v * invD2[g + q];
            }
            Selection.markSmallestInGroup(groupScore, 0, size, nm.prunedInGroup(size), mask, maskOff + g);
        }
    }

    /**
     * The column sweep of one row through the block, with OBS compensation inside the block; with
     * {@code quantization}, a kept weight becomes its int4 value and its rounding error is compensated too.
     *
     * @return with {@code quantization}, the row's weights in the block that were zero before rounding; else 0
     */
    private static int sweepRow(float[] w, int wOff, int in, float[] hinv, int i1, int count, float[] d, float[] invD2,
                                 boolean[] mask, int maskOff, SparsityPattern.NM nm, float[] err, int errOff,
                                 Quantization quantization, int row) {
        float[] groupScore = nm == null ? null : new float[nm.m()];
        float[] grid = quantization == null ? null : new float[2];
        int zeros = 0;
        for (int i = 0; i < count; i++) {
            int col = i1 + i;
            boolean groupStart = quantization != null && col % quantization.groupSize == 0;
            if (nm != null && quantization == null && i % nm.m() == 0) {
                chooseNm(w, wOff, invD2, mask, maskOff, nm, groupScore, i, i + 1, count);
            } else if (nm != null && groupStart) {
                chooseNm(w, wOff, invD2, mask, maskOff, nm, groupScore, i, i + quantization.groupSize, count);
            }
            float q = 0f;
            if (quantization != null) {
                int group = row * quantization.groups + col / quantization.groupSize;
                if (groupStart) {
                    Gptq.chooseGrid(w, wOff + i, mask, maskOff + i, Math.min(quantization.groupSize, in - col), grid);
                    quantization.scales[group] = grid[0];
                    quantization.zeroPoints[group] = (int) grid[1];
                }
                float scale = quantization.scales[group];
                int zp = quantization.zeroPoints[group];
                boolean zero = mask[maskOff + i] || w[wOff + i] == 0f;
                zeros += zero ? 1 : 0;
                int code = zero ? zp : Gptq.code(w[wOff + i], scale, zp);
                quantization.codes[row * in + col] = (byte) code;
                q = (code - zp) * scale;
            } else if (!mask[maskOff + i]) {
                continue; // q = w: no error, nothing to compensate
            }
            float e = (w[wOff + i] - q) / d[i];
            err[errOff + i] = e;
            // W1[i:] −= e·Hinv1[i, i:] ; the entry i itself becomes q (0 exactly when pruned)
            if (e != 0f) {
                Kernels.axpy(-e, hinv, (i1 + i) * in + i1 + i + 1, w, wOff + i + 1, count - i - 1);
            }
            w[wOff + i] = q;
        }
        return zeros;
    }
}
