package dev.prunelab.pruning.prune;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * DSnoT, training-free dynamic sparsity (Zhang, Zhao, Lin, Wang, Luo, Liu &amp; Ji, "Dynamic Sparse No Training",
 * ICLR 2024), as the reference's {@code prune_DSnoT}: a refinement of a mask another method chose, swapping one
 * pruned weight back in (grow) for one kept weight out (prune) at a time, per output row, to shrink the row's
 * expected reconstruction error
 * <pre>
 * ε_i = Σ_j (W_ij − W'_ij) · E[x_j]          (W dense, W' pruned; W' = W ⊙ M for mask-only methods)
 * </pre>
 * with E[x_j] scaled to one calibration sequence (Σ_t x_tj / sequences, the reference's {@code sum_metric_row},
 * so its {@code update_threshold} keeps its units). Each cycle of a row:
 * <ul>
 *   <li><b>grow</b>: among the pruned weights ranked by W_ij·E[x_j] / Var(x_j) (the reference's
 *       {@code pow_of_var_regrowing} = 1), the largest when ε_i &gt; 0, else the smallest; growing restores W_ij;</li>
 *   <li><b>prune</b>, unstructured: among the kept weights ranked by their Wanda score |W'_ij|·‖X_j‖₂, the lowest
 *       with W'_ij·E[x_j] &le; 0 when ε_i &ge; 0, else the lowest with W'_ij·E[x_j] &gt; 0 (the reference's
 *       {@code return_reorder_indice}); N:M, the kept weight with the lowest Wanda score in the grown weight's
 *       group of M, so every group keeps its count;</li>
 *   <li>a row stops for good when |ε_i| &le; {@code updateThreshold} (0.1), when a swap would not make |ε_i|
 *       smaller, (N:M) when it would flip ε_i's sign (the reference's same-sign rule), or when its candidates run
 *       out; every row stops after {@code maxCycles} (50) swaps.</li>
 * </ul>
 * Where this differs from the reference, and why: the "not smaller" stop is added so |ε_i| never grows (the
 * reference's default {@code without_same_sign} accepts any swap above the threshold); grow candidates are only
 * pruned weights whose dense value is non-zero and prune candidates only kept ones (the reference's sorted lists
 * can run into the other set on short rows, which would change the sparsity); the N:M prune candidate is ranked by
 * Wanda's score whatever the first method was (the reference uses the first method's metric, which a refinement
 * of an arbitrary mask does not have); Var(x_j) is the population variance over all calibration tokens (the
 * reference averages per-batch variances). The reference skips the MLP layers by default
 * ({@code skip_layer = mlp}); the caller decides that with {@link #refinesMlp()}. Swaps keep the number of zeros
 * of every row (and every N:M group) exactly.
 *
 * @param maxCycles          the reference's {@code max_cycle_time}, 50
 * @param updateThreshold    the reference's {@code update_threshold}, 0.1 (units of ε per calibration sequence)
 * @param regrowVariancePower the reference's {@code pow_of_var_regrowing}, 1
 * @param refinesMlp         false as the reference's default {@code skip_layer = mlp}: only attention projections
 */
public record Dsnot(int maxCycles, double updateThreshold, double regrowVariancePower, boolean refinesMlp) {

    public Dsnot {
        if (maxCycles < 0 || !(updateThreshold >= 0) || !(regrowVariancePower >= 0)) {
            throw new IllegalArgumentException("DSnoT needs maxCycles >= 0, updateThreshold >= 0 and "
                    + "regrowVariancePower >= 0, was " + maxCycles + ", " + updateThreshold + ", " + regrowVariancePower);
        }
    }

    /** The reference's defaults. */
    public Dsnot() {
        this(50, 0.1, 1, false);
    }

    /**
     * What refining one matrix did.
     *
     * @param swaps            grow/prune pairs made over all rows
     * @param errorBefore      Σ_i |ε_i| of the method's mask (per calibration sequence)
     * @param errorAfter       Σ_i |ε_i| after the swaps; never above {@code errorBefore}
     */
    public record Result(long swaps, double errorBefore, double errorAfter) {
    }

    /**
     * Refines {@code pruned} in place.
     *
     * @param dense              (out, in) the weights before pruning
     * @param pruned             (out, in) the method's result; its zeros are the mask
     * @param sequences          calibration sequences the statistics saw (E[x] is scaled to one of them)
     */
    public Result refine(float[] dense, float[] pruned, int out, int in, InputStatistics stats, long sequences,
            SparsityPattern pattern) {
        if (stats == null) {
            throw new IllegalArgumentException("DSnoT needs the input statistics (mean, variance and ‖X_j‖₂ per column)");
        }
        if (dense.length != pruned.length) {
            throw new IllegalArgumentException("dense and pruned weights differ in size: " + dense.length + " vs "
                    + pruned.length);
        }
        PruningMethod.checkArguments(pruned, out, in, stats, pattern);
        if (sequences <= 0) {
            throw new IllegalArgumentException("DSnoT needs at least one calibration sequence, was " + sequences);
        }
        double perSequence = (double) stats.tokens() / sequences;
        double[] means = stats.columnMeans();
        double[] variances = stats.columnVariances();
        float[] sequenceMean = new float[in];      // E[x_j] per sequence, the reference's sum_metric_row
        float[] inverseVariance = new float[in];   // Var(x_j)^-power
        for (int j = 0; j < in; j++) {
            sequenceMean[j] = (float) (means[j] * perSequence);
            inverseVariance[j] = (float) Math.pow(variances[j], -regrowVariancePower);
        }
        float[] norms = stats.columnNorms();
        SparsityPattern.NM nm = pattern instanceof SparsityPattern.NM p ? p : null;
        double[] before = new double[out];
        double[] after = new double[out];
        long[] swaps = new long[out];
        IntStream.range(0, out).parallel().forEach(r -> {
            float[] growMetric = new float[in];   // W_ij·E[x_j]
            float[] pruneMetric = new float[in];  // W'_ij·E[x_j]
            ScoreKernels.times(dense, r * in, sequenceMean, growMetric, in);
            ScoreKernels.times(pruned, r * in, sequenceMean, pruneMetric, in);
            double error = 0;
            for (int j = 0; j < in; j++) {
                error += (double) growMetric[j] - pruneMetric[j];
            }
            before[r] = Math.abs(error);
            RowResult row = nm == null
                    ? refineUnstructured(dense, pruned, r * in, in, growMetric, pruneMetric, inverseVariance, norms, error)
                    : refineNm(dense, pruned, r * in, in, growMetric, pruneMetric, inverseVariance, norms, error, nm);
            after[r] = Math.abs(row.error);
            swaps[r] = row.swaps;
        });
        return new Result(Arrays.stream(swaps).sum(), Arrays.stream(before).sum(), Arrays.stream(after).sum());
    }

    private record RowResult(double error, long swaps) {
    }

    /** Pruned weights that growing would change (dense ≠ 0), ascending by W·E[x]/Var^p, ties by column. */
    private static int[] growOrder(float[] dense, float[] pruned, int off, int in, float[] growMetric,
            float[] inverseVariance) {
        Integer[] candidates = IntStream.range(0, in)
                .filter(j -> pruned[off + j] == 0f && dense[off + j] != 0f).boxed().toArray(Integer[]::new);
        float[] key = new float[in];
        for (int j : candidates) {
            float k = growMetric[j] * inverseVariance[j];
            key[j] = Float.isNaN(k) ? 0f : k;   // 0·∞ on a constant input: no preference
        }
        Arrays.sort(candidates, (a, b) -> Float.compare(key[a], key[b]));   // stable: ties keep column order
        return Arrays.stream(candidates).mapToInt(Integer::intValue).toArray();
    }

    private RowResult refineUnstructured(float[] dense, float[] pruned, int off, int in, float[] growMetric,
            float[] pruneMetric, float[] inverseVariance, float[] norms, double error) {
        int[] grow = growOrder(dense, pruned, off, in, growMetric, inverseVariance);
        // kept weights by Wanda score, then: those with W'·E[x] <= 0 in that order, those above 0 reversed,
        // so the low end lowers ε and the high end raises it, each starting from the least important weight
        Integer[] kept = IntStream.range(0, in).filter(j -> pruned[off + j] != 0f).boxed().toArray(Integer[]::new);
        Arrays.sort(kept, (a, b) -> Float.compare(Math.abs(pruned[off + a]) * norms[a],
                Math.abs(pruned[off + b]) * norms[b]));
        int[] prune = new int[kept.length];
        int low = 0;
        for (int j : kept) {
            if (pruneMetric[j] <= 0) {
                prune[low++] = j;
            }
        }
        int high = prune.length - 1;
        for (int j : kept) {
            if (pruneMetric[j] > 0) {
                prune[high--] = j;
            }
        }
        int growLow = 0, growHigh = grow.length - 1, pruneLow = 0, pruneHigh = prune.length - 1;
        long swaps = 0;
        while (swaps < maxCycles && Math.abs(error) > updateThreshold && growLow <= growHigh && pruneLow <= pruneHigh) {
            int g = error > 0 ? grow[growHigh--] : grow[growLow++];
            int p = error < 0 ? prune[pruneHigh--] : prune[pruneLow++];
            double errorAfter = error + pruneMetric[p] - growMetric[g];
            if (!(Math.abs(errorAfter) < Math.abs(error))) {
                break;
            }
            pruned[off + g] = dense[off + g];
            pruned[off + p] = 0f;
            error = errorAfter;
            swaps++;
        }
        return new RowResult(error, swaps);
    }

    private RowResult refineNm(float[] dense, float[] pruned, int off, int in, float[] growMetric,
            float[] pruneMetric, float[] inverseVariance, float[] norms, double error, SparsityPattern.NM nm) {
        int[] grow = growOrder(dense, pruned, off, in, growMetric, inverseVariance);
        boolean[] candidate = new boolean[in];  // kept by the method and not yet pruned by a swap
        for (int j = 0; j < in; j++) {
            candidate[j] = pruned[off + j] != 0f;
        }
        double initialSign = Math.signum(error);
        int growLow = 0, growHigh = grow.length - 1;
        long swaps = 0;
        int cycles = 0;
        while (cycles < maxCycles && Math.abs(error) > updateThreshold && growLow <= growHigh) {
            cycles++;
            int g = error > 0 ? grow[growHigh--] : grow[growLow++];
            int start = g - g % nm.m();
            int p = -1;
            float lowest = Float.POSITIVE_INFINITY;
            for (int j = start, end = Math.min(in, start + nm.m()); j < end; j++) {
                float score = Math.abs(pruned[off + j]) * norms[j];
                if (candidate[j] && (p < 0 || score < lowest)) {
                    p = j;
                    lowest = score;
                }
            }
            if (p < 0) {
                continue;   // the group has nothing left to give; try the next grow candidate
            }
            double errorAfter = error + pruneMetric[p] - growMetric[g];
            if (Math.signum(errorAfter) != initialSign || !(Math.abs(errorAfter) < Math.abs(error))) {
                break;
            }
            pruned[off + g] = dense[off + g];
            pruned[off + p] = 0f;
            candidate[p] = false;
            error = errorAfter;
            swaps++;
        }
        return new RowResult(error, swaps);
    }
}
