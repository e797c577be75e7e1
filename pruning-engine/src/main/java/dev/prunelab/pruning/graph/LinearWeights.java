package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.BlockQuantizer;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightQuantizer;
import java.util.Set;

/**
 * The checkpoint's weights as graph initializers: vectors, matrices as stored, and linear layers, float or (the
 * modules {@link #quantize} names) int4 blocks multiplied by {@code MatMulNBits}.
 */
final class LinearWeights {
    private static final OnnxMl.TensorProto.DataType FLOAT = OnnxMl.TensorProto.DataType.FLOAT;

    private final GraphBuilder g;
    private final TensorSource weights;
    private LinearQuantization quantization = LinearQuantization.FLOAT;
    private Set<String> quantizedModules = Set.of();

    LinearWeights(GraphBuilder g, TensorSource weights) {
        this.g = g;
        this.weights = weights;
    }

    /** A vector (norm weight, bias) as a float32 initializer of the export dtype. */
    String vector(String name) {
        TensorInfo info = weights.info(name);
        if (info.rank() != 1) {
            throw new ModelFormatException(info.file(), name, "expected a vector, found rank " + info.rank());
        }
        return g.weight(name, weights.readFloats(name), info.dimension(0));
    }

    /** A matrix stored as it is in the checkpoint (embeddings, position tables, the LM head for Gemm). */
    String matrix(String name) {
        return g.floatView(table(name));
    }

    /** A matrix stored as it is in the checkpoint, in the export's dtype, without a float32 view yet. */
    GraphBuilder.StoredMatrix table(String name) {
        TensorInfo info = weights.info(name);
        if (info.rank() != 2) {
            throw new ModelFormatException(info.file(), name, "expected a matrix, found rank " + info.rank());
        }
        return g.storedMatrix(name, weights, info.dimension(0), info.dimension(1));
    }

    /**
     * x @ W^T (+ b) for a Hugging Face Linear with weight [out, in]; the weight is stored transposed
     * ([in, out]) so ONNX Runtime multiplies it without a runtime transpose.
     */
    String linear(String nodePath, String module, String x) {
        TensorInfo info = weights.info(module + ".weight");
        int out = (int) info.dimension(0);
        int in = (int) info.dimension(1);
        if (quantizedModules.contains(module)) {
            float[] w = weights.readFloats(module + ".weight");
            return addBiasIfPresent(nodePath, module, matMulNBits(nodePath, module, x, w, out, in));
        }
        String weight = g.transposedWeight(module + ".MatMul.weight", weights.readFloats(module + ".weight"), out,
                in);
        String y = g.matMul(nodePath + "/MatMul", x, weight);
        return addBiasIfPresent(nodePath, module, y);
    }

    /** x @ W (+ b) for a GPT-2 Conv1D whose weight is already [in, out]. */
    String conv1d(String nodePath, String module, String x) {
        if (quantizedModules.contains(module)) {
            TensorInfo info = weights.info(module + ".weight");
            int in = (int) info.dimension(0);
            int out = (int) info.dimension(1);
            float[] w = Matrices.transpose(weights.readFloats(module + ".weight"), in, out); // -> [out, in]
            return addBiasIfPresent(nodePath, module, matMulNBits(nodePath, module, x, w, out, in));
        }
        String weight = matrix(module + ".weight");
        return addBiasIfPresent(nodePath, module, g.matMul(nodePath + "/MatMul", x, weight));
    }

    /**
     * Stores the linear modules named in {@code modules} (Hugging Face module paths) as {@code quantization} says;
     * every other matrix (embeddings, head, calibration graphs) stays float.
     */
    void quantize(Set<String> modules, LinearQuantization quantization) {
        this.quantization = quantization;
        Set<String> quantized = new java.util.HashSet<>(modules);
        quantized.removeAll(quantization.floatModules()); // the blocks a weight budget kept float
        this.quantizedModules = quantization.quantized() ? Set.copyOf(quantized) : Set.of();
    }

    /**
     * x @ Wᵀ with W [N=out, K=in] as int4 blocks ({@link BlockQuantizer}); float16 exports keep float16 scales, and
     * since the op's scales and A share one type, the input is cast to float16 and the output back; an asymmetric
     * grid adds the zero points (uint8, [N·ceil(blocks/2)]) as the op's fourth input:
     * <pre>
     * x [B,S,K] (--Cast f16) --MatMulNBits(B [N,blocks,blob] uint8, scales [N·blocks] (, zero_points); K, N, bits,
     *                           block_size, accuracy_level)--> [B,S,N] (--Cast f32)
     * </pre>
     */
    private String matMulNBits(String nodePath, String module, String x, float[] w, int out, int in) {
        BlockQuantizer.Quantized q = quantization.precomputed().get(module);
        if (q == null && quantization.quantizer() == WeightQuantizer.GPTQ) {
            throw new InvalidSetting(WeightQuantizer.FIELD, "gptq needs the calibration inputs of " + module
                    + ": only ./lab prune (a run) quantizes with it");
        }
        if (q == null) {
            q = quantization.quantizer().symmetric()
                    ? BlockQuantizer.quantize(w, out, in, quantization.blockSize())
                    : BlockQuantizer.quantizeAsymmetric(w, out, in, quantization.blockSize());
        } else if (q.n() != out || q.k() != in || q.blockSize() != quantization.blockSize()) {
            throw new IllegalStateException(module + ": precomputed blocks " + q.n() + " x " + q.k() + " / "
                    + q.blockSize() + " do not match " + out + " x " + in + " / " + quantization.blockSize());
        }
        String bName = module + ".MatMulNBits.qweight";
        g.addInitializer(g.initializers().packedWeight(bName, q.packed(), (long) out * in, q.exactZeros(), out,
                q.blocksPerRow(), q.blobBytes()));
        String scalesName = module + ".MatMulNBits.scales";
        boolean half = g.initializers().float16();
        g.addInitializer(half ? g.initializers().float16(scalesName, q.scales(), q.scales().length)
                : g.initializers().float32(scalesName, q.scales(), q.scales().length));
        String[] inputs = {null, bName, scalesName};
        if (!q.symmetric()) {
            String zpName = module + ".MatMulNBits.zero_points";
            // the zero points are bookkeeping of the weights above: no parameters of their own
            g.addInitializer(g.initializers().packedWeight(zpName, q.zeroPoints(), 0, 0, q.zeroPoints().length));
            inputs = new String[] {null, bName, scalesName, zpName};
        }
        inputs[0] = half ? g.cast(nodePath + "/Cast_input", x, OnnxMl.TensorProto.DataType.FLOAT16) : x;
        String y = g.contribNode("MatMulNBits", nodePath + "/MatMulNBits", inputs,
                GraphBuilder.intAttribute("K", in), GraphBuilder.intAttribute("N", out),
                GraphBuilder.intAttribute("bits", quantization.bits()),
                GraphBuilder.intAttribute("block_size", quantization.blockSize()),
                GraphBuilder.intAttribute("accuracy_level", quantization.accuracyLevel()));
        return half ? g.cast(nodePath + "/Cast_output", y, FLOAT) : y;
    }

    private String addBiasIfPresent(String nodePath, String module, String y) {
        if (!weights.contains(module + ".bias")) {
            return y;
        }
        return g.add(nodePath + "/Add", y, vector(module + ".bias"));
    }
}
