package dev.prunelab.pruning.prune;

import java.util.Arrays;

/**
 * Picks the weights to prune from their scores with an exact count: the {@code k} smallest, ties
 * broken by index (lower index pruned first), so the achieved count never drifts from the target the
 * way a {@code score <= threshold} mask does on ties. Scores are compared by absolute value, which lets
 * magnitude pruning pass the weights themselves.
 */
final class Selection {
    private Selection() {
    }

    /**
     * How many of {@code count} weights to prune for {@code sparsity}: floor(sparsity·count), with a
     * 1e-9 allowance so that e.g. 0.29·100 (28.999999999999996 in binary) gives 29, not 28.
     */
    static long pruneCount(double sparsity, long count) {
        return Math.min(count, (long) Math.floor(sparsity * count + 1e-9));
    }

    /**
     * Marks prune[maskOff+i] = true for the k entries of scores[from, from+len) with the smallest
     * |score|, in O(len): a three-pass radix select over the float bit pattern (11 + 11 + 9 bits; for
     * non-negative floats the bit pattern orders like the value) finds the threshold, then entries below
     * it and the first entries equal to it (by index) are marked.
     */
    static void markSmallest(float[] scores, int from, int len, long k, boolean[] prune, int maskOff) {
        if (k <= 0) {
            return;
        }
        if (k >= len) {
            Arrays.fill(prune, maskOff, maskOff + len, true);
            return;
        }
        int prefix = 0;
        int prefixMask = 0;
        long remaining = k; // still to choose among entries matching the prefix
        int[] shifts = {20, 9, 0};
        int[] widths = {11, 11, 9};
        for (int pass = 0; pass < 3; pass++) {
            int shift = shifts[pass], buckets = 1 << widths[pass];
            int[] histogram = new int[buckets];
            for (int i = 0; i < len; i++) {
                int bits = bits(scores[from + i]);
                if ((bits & prefixMask) == prefix) {
                    histogram[(bits >>> shift) & (buckets - 1)]++;
                }
            }
            int bucket = 0;
            while (histogram[bucket] < remaining) {
                remaining -= histogram[bucket];
                bucket++;
            }
            prefix |= bucket << shift;
            prefixMask |= (buckets - 1) << shift;
        }
        int threshold = prefix; // the k-th smallest; `remaining` entries equal to it are pruned
        for (int i = 0; i < len; i++) {
            int bits = bits(scores[from + i]);
            if (bits < threshold || (bits == threshold && remaining-- > 0)) {
                prune[maskOff + i] = true;
            }
        }
    }

    /**
     * Within one N:M group scores[from, from+m), marks the {@code count} entries with the smallest
     * |score| (lower index first on ties) — like {@code topk(largest=False)} over the group.
     */
    static void markSmallestInGroup(float[] scores, int from, int m, int count, boolean[] prune, int maskOff) {
        for (int c = 0; c < count; c++) {
            int best = -1;
            int bestBits = Integer.MAX_VALUE;
            for (int i = 0; i < m; i++) {
                int bits = bits(scores[from + i]);
                if (!prune[maskOff + i] && (best < 0 || bits < bestBits)) {
                    best = i;
                    bestBits = bits;
                }
            }
            prune[maskOff + best] = true;
        }
    }

    /**
     * Zeroes the weights of one row whose scores, {@code scores[from, from + in)}, are the lowest: m−n of every group
     * of m columns for N:M, else {@code perRow} of the row (Wanda and RIA, which compare scores within a row).
     */
    static void pruneRow(float[] scores, int from, float[] weight, int row, int in, SparsityPattern pattern,
                         long perRow) {
        boolean[] prune = new boolean[in];
        if (pattern instanceof SparsityPattern.NM nm) {
            for (int g = 0; g < in; g += nm.m()) {
                int size = Math.min(nm.m(), in - g);
                markSmallestInGroup(scores, from + g, size, nm.prunedInGroup(size), prune, g);
            }
        } else {
            markSmallest(scores, from, in, perRow, prune, 0);
        }
        for (int j = 0; j < in; j++) {
            if (prune[j]) {
                weight[row * in + j] = 0f;
            }
        }
    }

    /** The ordering key of |score|; NaN is rejected. */
    private static int bits(float score) {
        int bits = Float.floatToRawIntBits(score) & 0x7fffffff;
        if (bits > 0x7f800000) {
            throw new IllegalArgumentException("pruning score is NaN (NaN weight or statistic)");
        }
        return bits;
    }
}
