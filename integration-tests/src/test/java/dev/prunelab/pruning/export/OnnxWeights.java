package dev.prunelab.pruning.export;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.graph.Matrices;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.InMemoryTensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an exported model's weights back under their Hugging Face names (MatMul weights transposed back to
 * [out, in]), so the reference forward pass can run on exactly what was exported. Test helper; inline data only.
 */
public final class OnnxWeights {
    private OnnxWeights() {
    }

    public static InMemoryTensors read(Path exportedDirectory) throws IOException {
        return read(exportedDirectory, false);
    }

    /**
     * Also reads int4 {@code MatMulNBits} layers back, dequantized ((code − zero point)·scale, zero point 8 when the node has none), under their module's name:
     * [out, in], or [in, out] when {@code inputMajor} (GPT-2's Conv1D).
     */
    public static InMemoryTensors read(Path exportedDirectory, boolean inputMajor) throws IOException {
        Path file = exportedDirectory.resolve(DecoderIo.MODEL_FILE);
        InMemoryTensors weights = new InMemoryTensors(file);
        OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        }
        java.util.Map<String, OnnxMl.TensorProto> initializers = new java.util.HashMap<>();
        for (OnnxMl.TensorProto tensor : model.getGraph().getInitializerList()) {
            initializers.put(tensor.getName(), tensor);
        }
        for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            if (!node.getOpType().equals("MatMulNBits")) {
                continue;
            }
            java.util.Map<String, Long> attributes = new java.util.HashMap<>();
            node.getAttributeList().forEach(a -> attributes.put(a.getName(), a.getI()));
            int k = attributes.get("K").intValue(), n = attributes.get("N").intValue();
            int block = attributes.get("block_size").intValue();
            byte[] packed = initializers.get(node.getInput(1)).getRawData().toByteArray();
            float[] scales = floats(initializers.get(node.getInput(2)));
            int blocks = (k + block - 1) / block;
            // the optional zero points: [n][ceil(blocks/2)] uint8, two a byte, low nibble first; absent = 8
            byte[] zeroPoints = node.getInputCount() > 3 && !node.getInput(3).isEmpty()
                    ? initializers.get(node.getInput(3)).getRawData().toByteArray() : null;
            int zpBytes = (blocks + 1) / 2;
            float[] w = new float[n * k];
            for (int row = 0; row < n; row++) {
                for (int col = 0; col < k; col++) {
                    int b = packed[(row * blocks + col / block) * (block / 2) + (col % block) / 2] & 0xff;
                    int code = (col % block) % 2 == 0 ? b & 0x0f : b >>> 4;
                    int zb = col / block;
                    int zero = zeroPoints == null ? 8 : (zb % 2 == 0 ? zeroPoints[row * zpBytes + zb / 2] & 0x0f
                            : (zeroPoints[row * zpBytes + zb / 2] & 0xff) >>> 4);
                    w[row * k + col] = (code - zero) * scales[row * blocks + col / block];
                }
            }
            String module = node.getInput(1).substring(0, node.getInput(1).length() - ".MatMulNBits.qweight".length());
            if (inputMajor) {
                weights.put(module + ".weight", Matrices.transpose(w, n, k), k, n);
            } else {
                weights.put(module + ".weight", w, n, k);
            }
        }
        for (OnnxMl.TensorProto tensor : model.getGraph().getInitializerList()) {
            String name = tensor.getName();
            if (name.contains(".MatMulNBits.")) {
                continue;                                         // read with their node above
            }
            if (name.startsWith("/") || name.startsWith("model.rotary_emb")) {
                continue;                                         // graph constants, not weights
            }
            float[] data = floats(tensor);
            long[] shape = tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
            if (name.endsWith(".MatMul.weight")) {
                name = name.substring(0, name.length() - ".MatMul.weight".length()) + ".weight";
                data = Matrices.transpose(data, (int) shape[0], (int) shape[1]);
                shape = new long[] {shape[1], shape[0]};
            }
            weights.put(name, data, shape);
        }
        return weights;
    }

    private static float[] floats(OnnxMl.TensorProto tensor) {
        ByteBuffer bytes = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (tensor.getDataType() == OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
            float[] data = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(data);
            return data;
        }
        if (tensor.getDataType() == OnnxMl.TensorProto.DataType.FLOAT16_VALUE) {
            float[] data = new float[bytes.remaining() / 2];
            for (int i = 0; i < data.length; i++) {
                data[i] = HalfFloats.f16ToFloat(bytes.getShort());
            }
            return data;
        }
        throw new IllegalArgumentException("initializer " + tensor.getName() + " has type " + tensor.getDataType());
    }

}
