package dev.prunelab.integration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.evaluation.speed.WeightTraffic;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weight bytes a decode step reads (the numerator of the reported weight bytes/s) count what the kernels read:
 * float16 weights as the float32 constants ONNX Runtime folds them into, and 4-bit layers as their packed blocks
 * (half a byte a weight, padded to whole blocks) and their scales at the stored width, not as nothing.
 */
class WeightTrafficTest {
    private static final int BLOCK = 32;

    @TempDir
    Path temp;

    @Test
    void fourBitLayersCountTheirBlocksAndScalesAndFloat16WeightsCountAsFloat32() throws Exception {
        try (LoadedModel model = ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"),
                Optional.empty())) {
            long float32 = traffic(model, "f32", WeightDtype.FLOAT32, LinearQuantization.FLOAT);
            long float16 = traffic(model, "f16", WeightDtype.FLOAT16, LinearQuantization.FLOAT);
            long int4WithFloatScales = traffic(model, "f32-int4", WeightDtype.FLOAT32, LinearQuantization.int4(BLOCK));
            long int4WithHalfScales = traffic(model, "f16-int4", WeightDtype.FLOAT16, LinearQuantization.int4(BLOCK));

            assertEquals(float32, float16, "float16 weights are read as the float32 constants they are folded into");
            long floatLinearBytes = 0, blockBytes = 0, scaleCount = 0;
            for (String name : model.tensors().names()) {
                TensorInfo info = model.tensors().info(name);
                if (name.contains(".layers.") && info.rank() == 2) {
                    long out = info.dimension(0), in = info.dimension(1);
                    long blocksPerRow = (in + BLOCK - 1) / BLOCK;
                    floatLinearBytes += Float.BYTES * out * in;
                    blockBytes += out * blocksPerRow * (BLOCK / 2);
                    scaleCount += out * blocksPerRow;
                }
            }
            assertEquals(float32 - floatLinearBytes + blockBytes + Float.BYTES * scaleCount, int4WithFloatScales);
            assertEquals(float32 - floatLinearBytes + blockBytes + 2 * scaleCount, int4WithHalfScales);
        }
    }

    private long traffic(LoadedModel model, String name, WeightDtype dtype, LinearQuantization quantization) {
        Path out = temp.resolve(name);
        DecoderExporter.export(model, model.tensors(), out, dtype, false, quantization, staging -> { });
        return WeightTraffic.bytesPerToken(out);
    }
}
