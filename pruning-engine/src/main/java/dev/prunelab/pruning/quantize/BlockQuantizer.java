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
 */
public final class BlockQuantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** The code of zero: MatMulNBits' default 4-bit zero point. */
    public static final int ZERO_CODE = 8;
    private static final int MAX_LEVEL = 7;

    private BlockQuantizer() {
    }

    /**
     * @param packed the B input, N·blocks·blockSize/2 bytes
     * @param scales one per (n, block)
     */
    public record Quantized(int n, int k, int blockSize, byte[] packed, float[] scales) {
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

        /** (code − 8)·scale, what ONNX Runtime multiplies with. */
        public float dequantized(int row, int col) {
            return (code(row, col) - ZERO_CODE) * scales[row * blocksPerRow() + col / blockSize];
        }
    }

    /** Quantizes W [n, k] row-major. */
    public static Quantized quantize(float[] w, int n, int k, int blockSize) {
        if ((long) n * k != w.length || n <= 0 || k <= 0) {
            throw new IllegalArgumentException("weight of " + w.length + " values is not " + n + " x " + k);
        }
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 16, was " + blockSize);
        }
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
                encode(w, from, len, scale, codes);
                Arrays.fill(codes, len, blockSize, ZERO_CODE);
                int out = (row * blocks + block) * blob;
                for (int b = 0; b < blob; b++) {
                    packed[out + b] = (byte) (codes[2 * b] | (codes[2 * b + 1] << 4));
                }
            }
        });
        return new Quantized(n, k, blockSize, packed, scales);
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

    /** codes[i] = round(w/scale) + 8 (half away from zero), 8 for an all-zero block. */
    private static void encode(float[] w, int off, int len, float scale, int[] codes) {
        float inverse = scale == 0 ? 0f : 1f / scale;
        int i = 0;
        if (F.length() == I.length()) {
            for (int bound = F.loopBound(len); i < bound; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, w, off + i).mul(inverse);
                // round half away from zero: trunc(x + 0.5·sign(x)); |x| ≤ 7 so the result is in [-7, 7]
                FloatVector half = FloatVector.broadcast(F, 0.5f).blend(FloatVector.broadcast(F, -0.5f),
                        x.compare(VectorOperators.LT, 0f));
                IntVector q = (IntVector) x.add(half).convert(VectorOperators.F2I, 0);
                q.add(ZERO_CODE).max(0).min(15).intoArray(codes, i);
            }
        }
        for (; i < len; i++) {
            float x = w[off + i] * inverse;
            int q = (int) (x + (x < 0 ? -0.5f : 0.5f));
            codes[i] = Math.max(0, Math.min(15, q + ZERO_CODE));
        }
    }
}
