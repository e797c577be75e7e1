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
        Path file = exportedDirectory.resolve(DecoderIo.MODEL_FILE);
        InMemoryTensors weights = new InMemoryTensors(file);
        OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        }
        for (OnnxMl.TensorProto tensor : model.getGraph().getInitializerList()) {
            String name = tensor.getName();
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
