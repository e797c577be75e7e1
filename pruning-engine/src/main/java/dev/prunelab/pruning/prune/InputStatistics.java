package dev.prunelab.pruning.prune;

import java.util.Arrays;
import java.util.stream.IntStream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Calibration statistics of one linear layer's input, accumulated batch by batch from the activations
 * X [tokens, in] that reach the layer; the pruners only read them.
 * <ul>
 *   <li>Σ_t x_tj² per input column j, so {@link #columnNorms()} is Wanda's ‖X_j‖₂ (Sun et al. 2023, Eq. 1);</li>
 *   <li>Σ_t x_tj per input column, so {@link #columnMeans()} and {@link #columnVariances()} give FLAP's
 *       fluctuation and bias compensation (An et al. 2024);</li>
 *   <li>optionally the Hessian of the layer-wise reconstruction loss, H = (2/n)·Σ_t x_t·x_tᵀ = (2/n)·XᵀX
 *       (SparseGPT, Frantar &amp; Alistarh 2023, Sec. 3), kept as a running mean in double the way the
 *       reference's {@code add_batch} does: H ← H·n/(n+b) + (2/(n+b))·X_bᵀX_b.</li>
 * </ul>
 * n counts tokens (the reference counts sequences; the two differ by a positive factor, which changes
 * neither SparseGPT's relative damping nor its updates). The XᵀX update runs 256 tokens at a time as a
 * blocked symmetric rank-k update on a packed copy of the chunk ({@link PackedGram}, the way BLAS's dsyrk does it),
 * row groups of each cache block in parallel in the caller's pool.
 */
public final class InputStatistics {
    private static final int TOKEN_CHUNK = 256;   // 256 tokens x 768 inputs in double = 1.5 MB: stays in L2
    private static final int ROWS_PER_TASK = 16;  // a multiple of the Gram kernel's 4-row tiles

    private final int in;
    private final double[] sumOfSquares; // (in) Σ_t x_tj²
    private final double[] sums;         // (in) Σ_t x_tj
    private double[] hessian;            // the upper triangle of (in, in), packed (UpperTriangle); null if not tracked or handed over
    private boolean handsOverHessian;    // the next hessian() gives this array away instead of a copy
    private long tokens;
    private double[] transposed;         // (in, chunk) scratch of the last chunk, reused
    private double[] packed;             // (panels, chunk, vector) the last chunk packed for PackedGram, reused
    private int[] pairStarts;            // (column blocks + 1) first task of each block of PackedGram's update
    private double[] lanePartials;       // (vector lanes, in) Σ x² of the chunk's tokens t ≡ lane, reused
    private double[] chunkSums;          // (in) Σ x of the chunk, reused
    private double[] rowValues;          // (in) one token's activations in double, reused

    /**
     * @param in          input features of the layer (columns of its weight)
     * @param withHessian whether to keep the in×in Hessian (SparseGPT needs it; its upper triangle, 4·in·(in+1) bytes)
     */
    public InputStatistics(int in, boolean withHessian) {
        if (in <= 0) {
            throw new IllegalArgumentException("input features must be positive, was " + in);
        }
        this.in = in;
        this.sumOfSquares = new double[in];
        this.sums = new double[in];
        this.hessian = withHessian ? new double[UpperTriangle.length(in)] : null;
    }

    /** Adds a batch of activations x, row-major [tokens, in]. */
    public void accept(float[] x, int tokens, int in) {
        accept(x, 0, tokens, in);
    }

    /**
     * Adds the batch of activations that starts at {@code x[offset]}, row-major [tokens, in] (one window of a
     * larger calibration batch, accumulated exactly as if it came alone).
     */
    public void accept(float[] x, int offset, int tokens, int in) {
        if (in != this.in) {
            throw new IllegalArgumentException("batch has " + in + " input features, statistics expect " + this.in);
        }
        if (tokens < 0 || offset < 0 || offset + (long) tokens * in > x.length) {
            throw new IllegalArgumentException("batch of " + x.length + " values cannot hold " + tokens + " x " + in
                    + " from offset " + offset);
        }
        if (tokens == 0) {
            return;
        }
        long total = this.tokens + tokens;
        if (hessian != null) {
            Kernels.scale((double) this.tokens / total, hessian, 0, hessian.length);
        }
        double scale = 2.0 / total;
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_CHUNK) {
            int chunk = Math.min(TOKEN_CHUNK, tokens - t0);
            if (hessian != null && !PackedGram.SUPPORTED) {
                double[] xt = transpose(x, offset, t0, chunk); // (in, chunk), which the dot-product kernel reads
                for (int j = 0; j < in; j++) {
                    sumOfSquares[j] += Kernels.dot(xt, j * chunk, xt, j * chunk, chunk);
                    double sum = 0;
                    for (int t = j * chunk, end = t + chunk; t < end; t++) {
                        sum += xt[t];
                    }
                    sums[j] += sum;
                }
                addGram(x, offset, t0, chunk, scale, xt);
            } else {
                addColumnSums(x, offset, t0, chunk);
                if (hessian != null) {
                    addGram(x, offset, t0, chunk, scale, null);
                }
            }
        }
        this.tokens = total;
    }

    /**
     * Σ_t x_tj² and Σ_t x_tj of the chunk, added to the running sums, row by row: the same sums, bit for bit, as a dot
     * product and a sum over the transposed chunk's column j ({@link Kernels#dot}: lane l of the vector accumulates
     * the tokens t ≡ l mod W with fused multiply-adds, the lanes are reduced, then the tail tokens are added), without
     * the transposition, whose scattered writes took most of Wanda's statistics stage.
     */
    private void addColumnSums(float[] x, int offset, int t0, int chunk) {
        int lanes = Kernels.D.length();
        int bound = Kernels.D.loopBound(chunk);
        if (lanePartials == null) {
            lanePartials = new double[lanes * in];
            chunkSums = new double[in];
            rowValues = new double[in];
        }
        double[] partials = lanePartials, chunkSum = chunkSums, values = rowValues;
        Arrays.fill(partials, 0.0);
        Arrays.fill(chunkSum, 0.0);
        int columnBound = Kernels.D.loopBound(in);
        for (int t = 0; t < bound; t++) {
            int row = offset + (t0 + t) * in, lane = (t % lanes) * in;
            for (int j = 0; j < in; j++) {
                values[j] = x[row + j]; // widened here, so that the vectors below are of the pruners' one species
            }
            int j = 0;
            for (; j < columnBound; j += lanes) {
                DoubleVector value = DoubleVector.fromArray(Kernels.D, values, j);
                value.fma(value, DoubleVector.fromArray(Kernels.D, partials, lane + j)).intoArray(partials, lane + j);
                value.add(DoubleVector.fromArray(Kernels.D, chunkSum, j)).intoArray(chunkSum, j);
            }
            for (; j < in; j++) {
                partials[lane + j] = Math.fma(values[j], values[j], partials[lane + j]);
                chunkSum[j] += values[j];
            }
        }
        double[] laneValues = new double[lanes];
        for (int j = 0; j < in; j++) {
            for (int l = 0; l < lanes; l++) {
                laneValues[l] = partials[l * in + j];
            }
            partials[j] = DoubleVector.fromArray(Kernels.D, laneValues, 0).reduceLanes(VectorOperators.ADD);
        }
        for (int t = bound; t < chunk; t++) {
            int row = offset + (t0 + t) * in;
            for (int j = 0; j < in; j++) {
                double value = x[row + j];
                partials[j] += value * value;
                chunkSum[j] += value;
            }
        }
        for (int j = 0; j < in; j++) {
            sumOfSquares[j] += partials[j];
            sums[j] += chunkSum[j];
        }
    }

    /**
     * H += scale·X_cᵀX_c for the chunk X_c of tokens t0..t0+chunk-1, on the upper triangle. With AVX2 or AVX-512
     * vectors the chunk is packed and multiplied by {@link PackedGram}, as BLAS's dsyrk does: one cache block of
     * columns at a time, its row groups as tasks in the caller's pool; otherwise by dot products over the transposed
     * chunk {@code xt}.
     */
    private void addGram(float[] x, int offset, int t0, int chunk, double scale, double[] xt) {
        if (!PackedGram.SUPPORTED) {
            int tasks = (in + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
            // rows near the top hold the longest stretches of the upper triangle: tasks in that order let the
            // pool's workers steal the short ones at the end
            IntStream.range(0, tasks).parallel().forEach(task ->
                    Kernels.addGramUpperTiled(xt, chunk, in, scale, hessian,
                            task * ROWS_PER_TASK, Math.min(in, (task + 1) * ROWS_PER_TASK)));
            return;
        }
        int length = PackedGram.packedLength(in, chunk);
        if (packed == null || packed.length < length) {
            packed = new double[length];
        }
        double[] panels = packed;
        PackedGram.pack(x, offset, t0, chunk, in, panels);
        if (pairStarts == null) {
            pairStarts = pairStarts(in);
        }
        int[] starts = pairStarts;
        // one parallel stream per chunk, as with the dot-product kernel, over every block's tasks in block order (a pool
        // of one runs them so, each block's packed columns staying in L2) rather than a stream per block: at in = 288
        // a chunk's whole update takes about half a millisecond
        IntStream.range(0, starts[starts.length - 1]).parallel().forEach(task -> {
            int block = 0;
            while (task >= starts[block + 1]) {
                block++;
            }
            int groups = PackedGram.rowGroups(in, block), pair = task - starts[block];
            PackedGram.addUpper(panels, chunk, in, scale, hessian, pair, block);
            if (groups - 1 - pair != pair) {
                PackedGram.addUpper(panels, chunk, in, scale, hessian, groups - 1 - pair, block);
            }
        });
    }

    /**
     * The first task of each column block of {@link PackedGram}, and the number of tasks at the end: a task is row group
     * g of a block paired with group (groups − 1 − g). In a block that holds the diagonal, group g has about as many
     * tiles as there are groups after it, so the pairs are of nearly equal work and two workers finish together.
     */
    private static int[] pairStarts(int in) {
        int blocks = PackedGram.columnBlocks(in);
        int[] starts = new int[blocks + 1];
        for (int block = 0; block < blocks; block++) {
            starts[block + 1] = starts[block] + (PackedGram.rowGroups(in, block) + 1) / 2;
        }
        return starts;
    }

    /** Columns of tokens t0..t0+chunk-1 of the batch at {@code offset}, in double: (in, chunk), a reused buffer. */
    private double[] transpose(float[] x, int offset, int t0, int chunk) {
        if (transposed == null || transposed.length != in * chunk) {
            transposed = new double[in * chunk];
        }
        double[] xt = transposed;
        for (int t = 0; t < chunk; t++) {
            int row = offset + (t0 + t) * in;
            for (int j = 0; j < in; j++) {
                xt[j * chunk + t] = x[row + j];
            }
        }
        return xt;
    }

    /** Input features (columns of the layer's weight). */
    public int in() {
        return in;
    }

    /** Tokens seen so far (n). */
    public long tokens() {
        return tokens;
    }

    public boolean tracksHessian() {
        return hessian != null;
    }

    /** ‖X_j‖₂² = Σ_t x_tj² per input column (a copy). */
    public double[] sumOfSquares() {
        return sumOfSquares.clone();
    }

    /** Mean of each input column over the tokens seen, E[x_j] (zeros before any token). */
    public double[] columnMeans() {
        double[] means = new double[in];
        for (int j = 0; j < in && tokens > 0; j++) {
            means[j] = sums[j] / tokens;
        }
        return means;
    }

    /** Population variance of each input column over the tokens seen, E[x_j²] − E[x_j]², clamped at 0. */
    public double[] columnVariances() {
        double[] variances = new double[in];
        for (int j = 0; j < in && tokens > 0; j++) {
            double mean = sums[j] / tokens;
            variances[j] = Math.max(0, sumOfSquares[j] / tokens - mean * mean);
        }
        return variances;
    }

    /** ‖X_j‖₂ per input column, Wanda's activation factor. */
    public float[] columnNorms() {
        float[] norms = new float[in];
        for (int j = 0; j < in; j++) {
            norms[j] = (float) Math.sqrt(sumOfSquares[j]);
        }
        return norms;
    }

    /**
     * Makes the next {@link #hessian()} the last: the statistics drop their packed triangle as they expand it, and keep
     * no Hessian after it. For the last matrix that reads an input's statistics: at the widest input of an 8B model
     * the triangle is 0.8 GB, which would otherwise stay alive beside the 1.6 GB square and the pruner's work on it.
     * No effect on statistics without the Hessian.
     */
    public void handOverHessianOnNextRead() {
        handsOverHessian = hessian != null;
    }

    /**
     * H = (2/n)·XᵀX as a full symmetric matrix, row-major [in, in], a new array the caller may destroy; after
     * {@link #handOverHessianOnNextRead} the last one.
     */
    public double[] hessian() {
        if (hessian == null) {
            throw new IllegalStateException(handsOverHessian
                    ? "these statistics handed their Hessian over already"
                    : "these statistics were built without the Hessian (withHessian = false)");
        }
        double[] triangle = hessian;
        if (handsOverHessian) {
            hessian = null; // the square is the only copy from here on: the triangle is garbage once it is filled
        }
        return UpperTriangle.toSymmetric(triangle, in);
    }
}
