package dev.prunelab.pruning.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.reference.ReferenceDecoder;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Llama with Llama 3's rotary scaling, Qwen3 and Phi-3, each synthesized in its exact Hugging Face layout: both
 * exported graphs (the in-place cache at opset 24 and the growing cache at opset 17) give the reference forward
 * pass's logits within 1e-4 for a 16-token prefill and 8 cached decode steps. The reference reads the checkpoint
 * as stored (Phi-3's fused qkv_proj and gate_up_proj split as modeling_phi3 splits their outputs, not by the lab's
 * reader). With attention sharpened, each preset's own feature changes the logits by far more than the tolerance,
 * so a graph that ignored it would fail.
 */
class LlamaVariantsOracleTest {

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen3", "tiny-phi3"})
    void bothExportsMatchTheReferenceOnTheCheckpointAsStored(String presetId) throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(presetId), DType.F32, 11);
        int[] prompt = ExportOracleTest.randomTokens(512, 5);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty());
             SafetensorsFile stored = SafetensorsFile.open(checkpoint.resolve("model.safetensors"))) {
            Path inPlace = temp.resolve("in-place");
            DecoderExporter.export(model, inPlace, WeightDtype.FLOAT32);
            OracleComparison.Comparison fused = OracleComparison.compare(model, stored, inPlace, prompt,
                    ExportOracleTest.DECODE_STEPS);

            Path growing = temp.resolve("growing");
            DecoderExporter.export(model, model.tensors(), growing, WeightDtype.FLOAT32, false,
                    LinearQuantization.FLOAT, CacheInterface.GROWING, staging -> { });
            GrowingCacheExportTest.assertOpset17Graph(growing);
            double[] primitive = GrowingCacheExportTest.differencesToReference(model, stored, growing, prompt,
                    ExportOracleTest.DECODE_STEPS);

            System.out.printf("ORACLE %-12s in-place prefill %.2e decode %.2e | growing prefill %.2e decode %.2e"
                    + " (max |logit| %.2e)%n", presetId, fused.maxPrefillDifference(), fused.maxDecodeDifference(),
                    primitive[0], primitive[1], fused.maxLogit());
            assertTrue(fused.maxDifference() <= ExportOracleTest.TOLERANCE, presetId + " in-place: " + fused);
            assertTrue(fused.relative() <= ExportOracleTest.TOLERANCE, presetId + " in-place: " + fused);
            assertTrue(Math.max(primitive[0], primitive[1]) <= ExportOracleTest.TOLERANCE,
                    presetId + " growing: prefill " + primitive[0] + ", decode " + primitive[1]);

            // Synthesized weights (std 0.02) leave the softmax nearly uniform, so positions barely matter: with q and
            // k rows 8 times larger they do. The export of those weights matches their reference too, and the
            // reference without the preset's feature (Llama 3's scaling; Phi-3's partial rotary and window) is far
            // from it, so a graph that ignored the feature would fail.
            InMemoryTensors sharp = sharpened(model);
            OverlayTensors sharpWeights = new OverlayTensors(model.tensors(), sharp);
            Path sharpExport = temp.resolve("sharp");
            DecoderExporter.export(model, sharpWeights, sharpExport, WeightDtype.FLOAT32, false,
                    LinearQuantization.FLOAT, staging -> { });
            OracleComparison.Comparison sharpComparison = OracleComparison.compare(model, sharpWeights, sharpExport,
                    prompt, ExportOracleTest.DECODE_STEPS);
            assertTrue(sharpComparison.maxDifference() <= ExportOracleTest.TOLERANCE, presetId + " sharpened: "
                    + sharpComparison);
            LlamaConfig c = (LlamaConfig) model.config();
            Map<String, LlamaConfig> withouts = switch (presetId) {
                case "tiny-llama3" -> Map.of("rope_scaling",
                        c.withRotary(RotaryScaling.NONE, c.rotaryDim(), c.slidingWindow()));
                case "tiny-phi3" -> Map.of(
                        "partial rotary", c.withRotary(c.ropeScaling(), c.headDim(), c.slidingWindow()),
                        "sliding window", c.withRotary(c.ropeScaling(), c.rotaryDim(), 0));
                default -> Map.of();
            };
            float[][] actual = ReferenceDecoder.create(c, sharpWeights).run(prompt);
            for (Map.Entry<String, LlamaConfig> without : withouts.entrySet()) {
                float[][] plain = ReferenceDecoder.create(without.getValue(), sharpWeights).run(prompt);
                double change = 0;
                for (int t = 0; t < prompt.length; t++) {
                    change = Math.max(change, OracleComparison.maxAbs(plain[t], actual[t]));
                }
                System.out.printf("ORACLE %-12s sharpened: export vs reference %.2e; the reference without its %s"
                        + " moves the logits by %.2e%n", presetId, sharpComparison.maxDifference(), without.getKey(),
                        change);
                assertTrue(change > 100 * ExportOracleTest.TOLERANCE, presetId + ": its " + without.getKey()
                        + " moves the logits by " + change + " only");
            }
            assertEquals(presetId.equals("tiny-phi3") ? "phi3" : "llama", ModelCard.read(inPlace).family());
            assertFeatureInGraph(presetId, inPlace);
        }
    }

    /** q_proj and k_proj of every layer times 8 (under the lab's names), so attention depends on positions. */
    private static InMemoryTensors sharpened(LoadedModel model) {
        InMemoryTensors sharp = new InMemoryTensors(Path.of("sharpened"));
        for (int layer = 0; layer < model.config().numLayers(); layer++) {
            for (String proj : new String[] {"q_proj.weight", "k_proj.weight"}) {
                String name = LlamaNames.attention(layer, proj);
                float[] values = model.tensors().readFloats(name);
                for (int i = 0; i < values.length; i++) {
                    values[i] *= 8;
                }
                sharp.put(name, values, model.tensors().info(name).shape());
            }
        }
        return sharp;
    }

    /** Phi-3's rotary covers half of each head; Qwen3's q/k norms are in the graph. */
    private static void assertFeatureInGraph(String presetId, Path exported) throws Exception {
        OnnxMl.ModelProto onnx;
        try (InputStream in = Files.newInputStream(exported.resolve(DecoderIo.MODEL_FILE))) {
            onnx = OnnxMl.ModelProto.parseFrom(in);
        }
        if (presetId.equals("tiny-phi3")) {
            long partial = onnx.getGraph().getNodeList().stream()
                    .filter(node -> node.getOpType().equals("RotaryEmbedding"))
                    .filter(node -> node.getAttributeList().stream()
                            .anyMatch(a -> a.getName().equals("rotary_embedding_dim") && a.getI() == 8))
                    .count();
            assertEquals(4, partial, "q and k of both layers rotate 8 of 16 dimensions");
        }
        if (presetId.equals("tiny-qwen3")) {
            long norms = onnx.getGraph().getNodeList().stream()
                    .filter(node -> node.getName().matches("/model/layers\\.\\d/self_attn/[qk]_norm/RMSNormalization"))
                    .count();
            assertEquals(4, norms, "q_norm and k_norm of both layers");
        }
    }
}
