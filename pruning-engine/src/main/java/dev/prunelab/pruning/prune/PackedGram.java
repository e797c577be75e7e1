package dev.prunelab.pruning.prune;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Gram update {@code H += scale·XᵀX} on the upper triangle as BLAS does a symmetric rank-k update (dsyrk):
 * a chunk of X [tokens, in] is packed once, token-major, into panels one vector wide; a register-blocked
 * outer-product micro-kernel then broadcasts x[t][i] for {@value #TILE_ROWS} rows i and multiplies it into
 * {@value #TILE_PANELS} vectors x[t][j..j+W) of columns, so each token costs 2 vector loads and 8 broadcasts for 16
 * fused multiply-adds, with the 16 accumulators in registers for the whole chunk and no reduction across lanes
 * (the dot-product kernel, {@link Kernels#addGramUpperTiled}, reduces the lanes of every entry). An 8 × 3W tile
 * (24 accumulators, 24 multiply-adds per 11 loads) measured slower with C2 on Java 17 (50 against 65 GFLOP/s at
 * in = 768 on this project's AVX-512 machine): 16 accumulators is what it keeps in registers without losing time.
 *
 * <pre>
 *   packed (panels + 2, tokens, W):  panel p holds columns [p·W, p·W+W) of every token, zero past in
 *
 *        column panels  c0 ........ c1   (one block: fits L2, reused by every row group)
 *   rows  ┌───────────┬──┬──┬──┐
 *   8g    │ tile 8×2W │  │  │  │        the row group's 8 rows × K tokens stay in L1 across the tiles
 *         └───────────┴──┴──┴──┘
 * </pre>
 * Tiles sit on a grid of {@value #TILE_PANELS} panels from column 0; a tile that crosses the diagonal is computed
 * whole and only its entries with j ≥ i and j &lt; in are written: H is the upper triangle, packed by rows
 * ({@link UpperTriangle}).
 * Needs vectors of a multiple of 4 doubles (AVX2, AVX-512: {@link #SUPPORTED}); InputStatistics falls back to the
 * dot-product kernel elsewhere.
 */
final class PackedGram {
    static final VectorSpecies<Double> D = Kernels.D;
    /** Columns per packed panel: one vector of doubles. */
    static final int W = D.length();
    static final int TILE_ROWS = 8;
    static final int TILE_PANELS = 2;
    /** Rows are read four at a time from one panel, so a panel must hold whole groups of four. */
    static final boolean SUPPORTED = W % 4 == 0;
    /**
     * Columns of one cache block: 256 columns × 256 tokens × 8 bytes = 512 KB of packed X, half of a 1 MB L2, read
     * by every row group of the block; a multiple of the tile's columns so tiles never straddle two blocks.
     */
    private static final int BLOCK_PANELS = Math.max(TILE_PANELS, 256 / W / TILE_PANELS * TILE_PANELS);

    private PackedGram() {
    }

    /** Panels of W columns that hold {@code in} features. */
    static int panels(int in) {
        return (in + W - 1) / W;
    }

    /**
     * Doubles a packed chunk needs: the panels, and the zero panels that the last tile of a row reads past in (one; the
     * rows of the last group read one panel past in when W = 4, the same one).
     */
    static int packedLength(int in, int tokens) {
        return (panels(in) + TILE_PANELS - 1) * tokens * W;
    }

    /**
     * Packs tokens [t0, t0+tokens) of the row-major batch at {@code x[offset]} [*, in] into {@code packed}
     * (panels, tokens, W) in double: packed[(p·tokens + t)·W + c] = x[offset + (t0+t)·in + p·W + c], zero for columns
     * ≥ in.
     */
    static void pack(float[] x, int offset, int t0, int tokens, int in, double[] packed) {
        int panels = panels(in), full = in / W;
        // panel by panel, so the writes run sequentially (token by token, with the panels 16 KB apart, it took 4 times
        // as long); one call per panel, so that C2 compiles the loop as a method early on: as one method called once
        // per chunk, pack was compiled by C2 only as an on-stack replacement of its loop, and every call started in
        // C1's code, where every vector is an object
        int from = offset + t0 * in;
        for (int p = 0; p < full; p++) {
            packPanel(x, from + p * W, in, tokens, packed, p * tokens * W);
        }
        if (full < panels) {
            packLastPanel(x, from + full * W, in, tokens, packed, full * tokens * W, in - full * W);
        }
        Arrays.fill(packed, panels * tokens * W, packedLength(in, tokens), 0.0);
    }

    /**
     * packed[to + t·W + c] = x[from + t·in + c] for t < tokens, c < W: one panel of one chunk, widened to double.
     * Scalar on purpose: packing is 1/in of the update's work, and a FloatVector of another shape than the
     * pruners' (a half-width species, to convert into one double vector) polluted the Vector API's shared type
     * profiles: SparseGPT's float kernels lost their intrinsics, and its pruning math ran 2.7 times as long.
     */
    private static void packPanel(float[] x, int from, int in, int tokens, double[] packed, int to) {
        for (int t = 0; t < tokens; t++, from += in, to += W) {
            for (int c = 0; c < W; c++) {
                packed[to + c] = x[from + c];
            }
        }
    }

    /**
     * The panel that holds the last in − full·W columns, zero past in: lane by lane (under W values a token) rather
     * than with a masked load, for the reason {@link #add} gives.
     */
    private static void packLastPanel(float[] x, int from, int in, int tokens, double[] packed, int to, int columns) {
        Arrays.fill(packed, to, to + tokens * W, 0.0);
        for (int t = 0; t < tokens; t++, from += in, to += W) {
            for (int c = 0; c < columns; c++) {
                packed[to + c] = x[from + c];
            }
        }
    }

    /** Column blocks of the cache blocking: block b covers panels [b·BLOCK_PANELS, min(panels, (b+1)·BLOCK_PANELS)). */
    static int columnBlocks(int in) {
        return (panels(in) + BLOCK_PANELS - 1) / BLOCK_PANELS;
    }

    /** Row groups of {@value #TILE_ROWS} rows that reach into column block {@code block} (rows i ≤ its last column). */
    static int rowGroups(int in, int block) {
        int lastColumnExclusive = Math.min(in, (block + 1) * BLOCK_PANELS * W);
        return (lastColumnExclusive + TILE_ROWS - 1) / TILE_ROWS;
    }

    /**
     * H[i][j] += scale·Σ_t x[t][i]·x[t][j] for the rows i of row group {@code group} ([8·group, 8·group+8) ∩ [0, in))
     * and the columns j ≥ i of column block {@code block}, from a chunk packed by {@link #pack}. Different (group,
     * block) pairs write disjoint entries, so they may run in parallel.
     */
    static void addUpper(double[] packed, int tokens, int in, double scale, double[] h, int group, int block) {
        int row0 = group * TILE_ROWS;
        int panelFrom = block * BLOCK_PANELS, panelTo = Math.min(panels(in), panelFrom + BLOCK_PANELS);
        int diagonalPanel = row0 / W;
        // the first tile on the grid that holds a column ≥ row0
        int first = Math.max(panelFrom, diagonalPanel - diagonalPanel % TILE_PANELS);
        double[] sums = new double[TILE_ROWS * TILE_PANELS * W]; // (8, 2, W) one tile's sums, reused by the next
        for (int panel = first; panel < panelTo; panel += TILE_PANELS) {
            tile(packed, tokens, in, scale, h, row0, panel, sums);
        }
    }

    /** The 8 × 2W micro-tile at rows [row0, row0+8) and panels [panel0, panel0+2), accumulated over all tokens. */
    private static void tile(double[] p, int tokens, int in, double scale, double[] h, int row0, int panel0,
                             double[] sums) {
        int panelDoubles = tokens * W;
        // x[t][row0+r] for r < 4 is p[lo + t·W + r], for r ≥ 4 p[hi + t·W + r − 4]: one panel when W = 8, two when 4
        int lo = row0 / W * panelDoubles + row0 % W;
        int hi = (row0 + 4) / W * panelDoubles + (row0 + 4) % W;
        int b0 = panel0 * panelDoubles, b1 = b0 + panelDoubles;
        DoubleVector c00 = DoubleVector.zero(D), c01 = c00;
        DoubleVector c10 = c00, c11 = c00;
        DoubleVector c20 = c00, c21 = c00;
        DoubleVector c30 = c00, c31 = c00;
        DoubleVector c40 = c00, c41 = c00;
        DoubleVector c50 = c00, c51 = c00;
        DoubleVector c60 = c00, c61 = c00;
        DoubleVector c70 = c00, c71 = c00;
        for (int s = 0; s < panelDoubles; s += W) {
            DoubleVector x0 = DoubleVector.fromArray(D, p, b0 + s);
            DoubleVector x1 = DoubleVector.fromArray(D, p, b1 + s);
            DoubleVector a = DoubleVector.broadcast(D, p[lo + s]);
            c00 = a.fma(x0, c00);
            c01 = a.fma(x1, c01);
            a = DoubleVector.broadcast(D, p[lo + s + 1]);
            c10 = a.fma(x0, c10);
            c11 = a.fma(x1, c11);
            a = DoubleVector.broadcast(D, p[lo + s + 2]);
            c20 = a.fma(x0, c20);
            c21 = a.fma(x1, c21);
            a = DoubleVector.broadcast(D, p[lo + s + 3]);
            c30 = a.fma(x0, c30);
            c31 = a.fma(x1, c31);
            a = DoubleVector.broadcast(D, p[hi + s]);
            c40 = a.fma(x0, c40);
            c41 = a.fma(x1, c41);
            a = DoubleVector.broadcast(D, p[hi + s + 1]);
            c50 = a.fma(x0, c50);
            c51 = a.fma(x1, c51);
            a = DoubleVector.broadcast(D, p[hi + s + 2]);
            c60 = a.fma(x0, c60);
            c61 = a.fma(x1, c61);
            a = DoubleVector.broadcast(D, p[hi + s + 3]);
            c70 = a.fma(x0, c70);
            c71 = a.fma(x1, c71);
        }
        // the sums leave through an array, and H is updated by a method of its own: with the update's sixteen masked or
        // lane-by-lane stores inlined here, C2 compiled a slower micro-kernel inside a pruning run (the statistics stage
        // of a stories15M prune took 8.2 s against the old kernel's 7.3 s) than in a benchmark of the kernel alone
        c00.intoArray(sums, 0);
        c01.intoArray(sums, W);
        c10.intoArray(sums, 2 * W);
        c11.intoArray(sums, 3 * W);
        c20.intoArray(sums, 4 * W);
        c21.intoArray(sums, 5 * W);
        c30.intoArray(sums, 6 * W);
        c31.intoArray(sums, 7 * W);
        c40.intoArray(sums, 8 * W);
        c41.intoArray(sums, 9 * W);
        c50.intoArray(sums, 10 * W);
        c51.intoArray(sums, 11 * W);
        c60.intoArray(sums, 12 * W);
        c61.intoArray(sums, 13 * W);
        c70.intoArray(sums, 14 * W);
        c71.intoArray(sums, 15 * W);
        addTile(sums, scale, h, in, row0, panel0 * W);
    }

    /**
     * H[row0+r][j0+c] += scale·sums[(r·2 + c / W)·W + c % W] for r < 8, c < 2W, only the entries on or above the
     * diagonal and inside the matrix. Vectors that cross the diagonal or the last column go lane by lane, rounded as
     * the vector fma rounds, instead of through a masked load and store: with masks, C2's code for the micro-kernel was
     * thrown away 11 s into a stories15M prune (PrintCompilation: "made not entrant") and it ran interpreted, every
     * vector an object, until compiled again.
     */
    private static void addTile(double[] sums, double scale, double[] h, int in, int row0, int j0) {
        DoubleVector factor = DoubleVector.broadcast(D, scale);
        for (int r = 0; r < TILE_ROWS; r++) {
            int i = row0 + r;
            if (i >= in) {
                return; // padding rows of the last group
            }
            for (int v = 0; v < TILE_PANELS; v++) {
                int j = j0 + v * W, from = (r * TILE_PANELS + v) * W;
                if (j + W <= i || j >= in) {
                    continue; // wholly below the diagonal, or wholly past the last column
                }
                int at = UpperTriangle.rowBase(in, i) + j; // lanes below the diagonal (j < i) are never read
                if (j >= i && j + W <= in) {
                    DoubleVector.fromArray(D, sums, from).fma(factor, DoubleVector.fromArray(D, h, at)).intoArray(h, at);
                } else {
                    for (int lane = Math.max(0, i - j), end = Math.min(W, in - j); lane < end; lane++) {
                        h[at + lane] = Math.fma(scale, sums[from + lane], h[at + lane]);
                    }
                }
            }
        }
    }
}
