package dev.prunelab.pruning.quantize;

import java.util.Arrays;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blockwise symmetric round-to-nearest int4 in the layout of ONNX Runtime's {@code com.microsoft.MatMulNBits}
 * (docs/ContribOperators.md): the weight W [N, K] (N outputs, K inputs: a Hugging Face Linear's [out, in]) is cut
 * along K into blocks of {@code blockSize}; each block has one scale s = max|w| / 7 and codes
 * q = round(w / s) + 8 in [1, 15], dequantized as (q − 8)·s. No zero-point tensor is written: the op's default
 * zero point for 4 bits is 8, so the grid is symmetric and a pruned weight, w = 0, is q = 8 and comes back exactly
 * 0. Every weight is within s/2 of its dequantized value (no clamping: |w/s| ≤ 7).
 * <pre>
 * B [N][blocks][blockSize/2] uint8: element k of a block in byte k/2, low nibble for even k, high for odd k
 * scales [N·blocks] float, row-major (n, block); K is padded to whole blocks with code 8
 * </pre>
 * {@link #quantizeAsymmetric} spans each block's [min(w, 0), max(w, 0)] with 16 levels and a zero point zp in 0..15:
 * q = clamp(round(w/s) + zp, 0, 15), dequantized as (q − zp)·s, written to the op's optional uint8
 * {@code zero_points} input packed like B: [N][ceil(blocks/2)], block b in byte b/2, low nibble for even b (each
 * row starts a new byte). w = 0 is code zp and comes back exactly 0.
 */
public final class BlockQuantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** The code of zero: MatMulNBits' default 4-bit zero point. */
    public static final int ZERO_CODE = 8;
    private static final int MAX_LEVEL = 7;
    /** The largest 4-bit code. */
    static final int MAX_CODE = 15;

    private BlockQuantizer() {
    }

    /**
     * @param packed     the B input, N·blocks·blockSize/2 bytes
     * @param scales     one per (n, block)
     * @param zeroPoints the zero_points input, N·ceil(blocks/2) bytes; null for the symmetric grid (zero point 8)
     */
    public record Quantized(int n, int k, int blockSize, byte[] packed, float[] scales, byte[] zeroPoints) {
        /** Symmetric: no zero points. */
        public Quantized(int n, int k, int blockSize, byte[] packed, float[] scales) {
            this(n, k, blockSize, packed, scales, null);
        }

        public boolean symmetric() {
            return zeroPoints == null;
        }

        /** Bytes of zero points per row: two 4-bit values a byte, each row padded to a whole byte. */
        public int zeroPointBytesPerRow() {
            return (blocksPerRow() + 1) / 2;
        }

        /** The code that dequantizes to 0 in block (row, block): 8, or its zero point. */
        public int zeroCode(int row, int block) {
            if (zeroPoints == null) {
                return ZERO_CODE;
            }
            int b = zeroPoints[row * zeroPointBytesPerRow() + block / 2] & 0xff;
            return (block & 1) == 0 ? b & 0x0f : b >>> 4;
        }

        /** Weights that dequantize to exactly 0 (the padding up to whole blocks not counted). */
        public long exactZeros() {
            long zeros = 0;
            for (int row = 0; row < n; row++) {
                for (int col = 0; col < k; col++) {
                    if (code(row, col) == zeroCode(row, col / blockSize)
                            || scales[row * blocksPerRow() + col / blockSize] == 0f) {
                        zeros++;
                    }
                }
            }
            return zeros;
        }

        public int blocksPerRow() {
            return (k + blockSize - 1) / blockSize;
        }

        public int blobBytes() {
            return blockSize / 2;
        }

        /** The code of weight (row, col), 0..15. */
        public int code(int row, int col) {
            int block = col / blockSize, inBlock = col % blockSize;
            int b = packed[(row * blocksPerRow() + block) * blobBytes() + inBlock / 2] & 0xff;
            return (inBlock & 1) == 0 ? b & 0x0f : b >>> 4;
        }

        /** (code − zero point)·scale, what ONNX Runtime multiplies with. */
        public float dequantized(int row, int col) {
            return (code(row, col) - zeroCode(row, col / blockSize)) * scales[row * blocksPerRow() + col / blockSize];
        }
    }

    /** Quantizes W [n, k] row-major. */
    public static Quantized quantize(float[] w, int n, int k, int blockSize) {
        check(w, n, k, blockSize);
        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        byte[] packed = new byte[n * blocks * blob];
        float[] scales = new float[n * blocks];
        IntStream.range(0, n).parallel().forEach(row -> {
            int[] codes = new int[blockSize];
            for (int block = 0; block < blocks; block++) {
                int from = row * k + block * blockSize;
                int len = Math.min(blockSize, k - block * blockSize);
                float scale = maxAbs(w, from, len) / MAX_LEVEL;
                scales[row * blocks + block] = scale;
                encode(w, from, len, scale, ZERO_CODE, codes);
                Arrays.fill(codes, len, blockSize, ZERO_CODE);
                int out = (row * blocks + block) * blob;
                for (int b = 0; b < blob; b++) {
                    packed[out + b] = (byte) (codes[2 * b] | (codes[2 * b + 1] << 4));
                }
            }
        });
        return new Quantized(n, k, blockSize, packed, scales);
    }

    /** Quantizes W [n, k] row-major onto asymmetric grids with zero points, one per block. */
    public static Quantized quantizeAsymmetric(float[] w, int n, int k, int blockSize) {
        check(w, n, k, blockSize);
        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        int zpBytes = (blocks + 1) / 2;
        byte[] packed = new byte[n * blocks * blob];
        float[] scales = new float[n * blocks];
        byte[] zeroPoints = new byte[n * zpBytes];
        IntStream.range(0, n).parallel().forEach(row -> {
            int[] codes = new int[blockSize];
            float[] grid = new float[2];
            for (int block = 0; block < blocks; block++) {
                int from = row * k + block * blockSize;
                int len = Math.min(blockSize, k - block * blockSize);
                float min = 0, max = 0;
                for (int i = 0; i < len; i++) {
                    min = Math.min(min, w[from + i]);
                    max = Math.max(max, w[from + i]);
                }
                asymmetricGrid(min, max, grid);
                float scale = grid[0];
                int zp = (int) grid[1];
                scales[row * blocks + block] = scale;
                zeroPoints[row * zpBytes + block / 2] |= (byte) ((block & 1) == 0 ? zp : zp << 4);
                encode(w, from, len, scale, zp, codes);
                Arrays.fill(codes, len, blockSize, zp);
                int out = (row * blocks + block) * blob;
                for (int b = 0; b < blob; b++) {
                    packed[out + b] = (byte) (codes[2 * b] | (codes[2 * b + 1] << 4));
                }
            }
        });
        return new Quantized(n, k, blockSize, packed, scales, zeroPoints);
    }

    /**
     * Packs codes already chosen on asymmetric grids (GPTQ's): {@code codes} [n, k] row-major in 0..15,
     * {@code scales} and {@code zeroPoints} [n, blocks].
     */
    public static Quantized packAsymmetric(byte[] codes, float[] scales, int[] zeroPoints, int n, int k, int blockSize) {
        if ((long) n * k != codes.length) {
            throw new IllegalArgumentException("codes of " + codes.length + " values are not " + n + " x " + k);
        }
        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        int zpBytes = (blocks + 1) / 2;
        byte[] packed = new byte[n * blocks * blob];
        byte[] zp = new byte[n * zpBytes];
        for (int row = 0; row < n; row++) {
            for (int block = 0; block < blocks; block++) {
                int z = zeroPoints[row * blocks + block];
                zp[row * zpBytes + block / 2] |= (byte) ((block & 1) == 0 ? z : z << 4);
                int out = (row * blocks + block) * blob;
                for (int i = 0; i < blockSize; i++) {
                    int col = block * blockSize + i;
                    int code = col < k ? codes[row * k + col] : z;
                    packed[out + i / 2] |= (byte) ((i & 1) == 0 ? code : code << 4);
                }
            }
        }
        return new Quantized(n, k, blockSize, packed, scales.clone(), zp);
    }

    /**
     * The smallest scale s, and its zero point zp, whose grid {(q − zp)·s : q in 0..15} covers [min, max] (min ≤ 0 ≤
     * max) with 0 on a grid point: s(zp) = max(−min/zp, max/(15 − zp)) over the zp that keep both ends in range
     * (1..14 when both signs occur). An all-zero block gets s = 0, zp = 8.
     *
     * @param grid receives {s, zp}
     */
    public static void asymmetricGrid(float min, float max, float[] grid) {
        if (min == 0 && max == 0) {
            grid[0] = 0;
            grid[1] = ZERO_CODE;
            return;
        }
        int lowest = min < 0 ? 1 : 0;
        int highest = max > 0 ? MAX_CODE - 1 : MAX_CODE;
        float best = Float.POSITIVE_INFINITY;
        int bestZp = ZERO_CODE;
        for (int zp = lowest; zp <= highest; zp++) {
            float s = Math.max(zp == 0 ? 0 : -min / zp, zp == MAX_CODE ? 0 : max / (MAX_CODE - zp));
            if (s < best) {
                best = s;
                bestZp = zp;
            }
        }
        grid[0] = best;
        grid[1] = bestZp;
    }

    private static void check(float[] w, int n, int k, int blockSize) {
        if ((long) n * k != w.length || n <= 0 || k <= 0) {
            throw new IllegalArgumentException("weight of " + w.length + " values is not " + n + " x " + k);
        }
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 16, was " + blockSize);
        }
    }

    private static float maxAbs(float[] w, int off, int len) {
        float max = 0;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += F.length()) {
            max = Math.max(max, FloatVector.fromArray(F, w, off + i).abs().reduceLanes(VectorOperators.MAX));
        }
        for (; i < len; i++) {
            max = Math.max(max, Math.abs(w[off + i]));
        }
        return max;
    }

    /** codes[i] = clamp(round(w/scale) + zeroCode, 0, 15) (half away from zero), zeroCode for an all-zero block. */
    static void encode(float[] w, int off, int len, float scale, int zeroCode, int[] codes) {
        float inverse = scale == 0 ? 0f : 1f / scale;
        int i = 0;
        if (F.length() == I.length()) {
            for (int bound = F.loopBound(len); i < bound; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, w, off + i).mul(inverse);
                // round half away from zero: trunc(x + 0.5·sign(x)); |x| ≤ 15 on either grid
                FloatVector half = FloatVector.broadcast(F, 0.5f).blend(FloatVector.broadcast(F, -0.5f),
                        x.compare(VectorOperators.LT, 0f));
                IntVector q = (IntVector) x.add(half).convert(VectorOperators.F2I, 0);
                q.add(zeroCode).max(0).min(MAX_CODE).intoArray(codes, i);
            }
        }
        for (; i < len; i++) {
            float x = w[off + i] * inverse;
            int q = (int) (x + (x < 0 ? -0.5f : 0.5f));
            codes[i] = Math.max(0, Math.min(MAX_CODE, q + zeroCode));
        }
    }
}
