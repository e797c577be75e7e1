package dev.prunelab.pruning.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.HuggingFaceConfig;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.gemma.GemmaConfig;
import dev.prunelab.pruning.family.gemma.GemmaNames;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.reference.ReferenceDecoder;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gemma 2 and Gemma 3 exported through both cache interfaces give the reference forward pass's logits (written
 * independently from transformers' modelling code), for sequences inside the sliding window and far beyond it; and
 * every Gemma detail (soft caps, window, scale, rotary bases) moves these random models' logits by far more than
 * the tolerance, so the comparison would notice any of them wrong; the embedding scale's dtype is checked in the
 * exported graph itself.
 */
class GemmaExportTest {
    static final double TOLERANCE = ExportOracleTest.TOLERANCE;

    @TempDir
    Path temp;

    private LoadedModel synthesize(String presetId, DType dtype, long seed) {
        Path checkpoint = temp.resolve("checkpoint-" + presetId + "-" + dtype);
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(presetId), dtype, seed);
        return ModelLoader.open(checkpoint, Optional.empty());
    }

    /**
     * In place (opset 24: one Attention with its scale and softcap attributes, the banded mask of sliding layers) and
     * growing (opset 17 primitives): a 16-token prefill, twice the window of 8, and 8 cached decode steps.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-gemma3"})
    void bothCacheInterfacesMatchTheReference(String presetId) throws Exception {
        try (LoadedModel model = synthesize(presetId, DType.F32, 11)) {
            int[] prompt = ExportOracleTest.randomTokens(model.config().vocabSize(), 5);
            double[] differences = compareBothInterfaces(model, prompt, ExportOracleTest.DECODE_STEPS);
            System.out.printf("ORACLE %-18s in-place prefill %.3e, decode %.3e; growing prefill %.3e, decode %.3e%n",
                    presetId, differences[0], differences[1], differences[2], differences[3]);
        }
    }

    /**
     * Inside the window (4 + 3 tokens, 7 &lt; 8) and far beyond it (40 + 24 tokens): the in-place cache keeps every
     * position, and the sliding layers' banded mask hides what the window has passed, exactly, at any length.
     */
    @ParameterizedTest
    @CsvSource({"tiny-gemma2, 4, 3", "tiny-gemma2, 40, 24", "tiny-gemma3, 4, 3", "tiny-gemma3, 40, 24"})
    void sequencesInsideAndFarBeyondTheSlidingWindowMatch(String presetId, int prefill, int decode) throws Exception {
        try (LoadedModel model = synthesize(presetId, DType.F32, 3)) {
            assertEquals(8, ((GemmaConfig) model.config()).attention().slidingWindow());
            double[] differences = compareBothInterfaces(model, tokens(model.config().vocabSize(), prefill, 9), decode);
            System.out.printf("ORACLE %-18s %2d + %2d tokens: in-place %.3e / %.3e, growing %.3e / %.3e%n", presetId,
                    prefill, decode, differences[0], differences[1], differences[2], differences[3]);
        }
    }

    /**
     * A bfloat16 checkpoint: transformers scales the embeddings by sqrt(48) as a bfloat16 tensor, 6.9375 rather than
     * 6.9282 (0.13% larger), and so does the export.
     */
    @Test
    void aBfloat16CheckpointScalesTheEmbeddingsInBfloat16() throws Exception {
        try (LoadedModel model = synthesize("tiny-gemma2", DType.BF16, 7)) {
            GemmaConfig config = (GemmaConfig) model.config();
            assertEquals(DType.BF16, model.tensors().info(GemmaNames.EMBED).dtype());
            assertEquals(6.9375f, config.embeddingScale(DType.BF16));
            Path exported = temp.resolve("bf16-source");
            DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
            OnnxMl.ModelProto onnx = OnnxMl.ModelProto.parseFrom(
                    Files.readAllBytes(exported.resolve(DecoderIo.MODEL_FILE)));
            OnnxMl.TensorProto scale = onnx.getGraph().getInitializerList().stream()
                    .filter(t -> t.getName().equals("/model/embed_tokens/embed_scale")).findFirst().orElseThrow();
            assertEquals(6.9375f, scale.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat());
            OracleComparison.Comparison comparison = OracleComparison.compare(model, model.tensors(), exported,
                    ExportOracleTest.randomTokens(config.vocabSize(), 5), ExportOracleTest.DECODE_STEPS);
            System.out.printf("ORACLE %-18s max |logit difference| = %.3e%n", "tiny-gemma2 bf16",
                    comparison.maxDifference());
            assertTrue(comparison.maxDifference() <= TOLERANCE, comparison.toString());
        }
    }

    /**
     * The branches the presets leave out: attention biases on q/k/v/o (attention_bias), a float16 checkpoint in
     * shards (its embedding scale sqrt(48) in float16, 6.9297), a tied head and explicit layer_types.
     */
    @Test
    void attentionBiasesAndAFloat16ShardedCheckpointMatch() throws Exception {
        String json = """
                {"model_type": "gemma3_text", "vocab_size": 512, "hidden_size": 48, "intermediate_size": 64,
                 "num_hidden_layers": 3, "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 16,
                 "max_position_embeddings": 64, "query_pre_attn_scalar": 32, "sliding_window": 5,
                 "layer_types": ["full_attention", "sliding_attention", "full_attention"], "attention_bias": true,
                 "final_logit_softcapping": 1.0}""";
        HuggingFaceConfig config = HuggingFaceConfig.parse(new ObjectMapper().readTree(json), Path.of("inline"));
        Path checkpoint = temp.resolve("biased");
        CheckpointSynthesizer.write(checkpoint, config, DType.F16, 5, 40_000);
        assertTrue(Files.exists(checkpoint.resolve("model.safetensors.index.json")), "sharded");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            assertTrue(model.tensors().contains(GemmaNames.attention(1, "o_proj.bias")));
            assertEquals(6.9296875f, ((GemmaConfig) model.config()).embeddingScale(DType.F16));
            double[] differences = compareBothInterfaces(model, tokens(512, 12, 3), 6);
            System.out.printf("ORACLE %-18s in-place %.3e / %.3e, growing %.3e / %.3e%n", "gemma3 biased f16",
                    differences[0], differences[1], differences[2], differences[3]);
        }
    }

    /**
     * The reference with one Gemma detail changed gives logits that differ from the right ones by over 100 times the
     * tolerance: an export that got that detail wrong could not pass the comparisons above.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-gemma3"})
    void everyGemmaDetailMovesTheLogitsFarBeyondTheTolerance(String presetId) {
        try (LoadedModel model = synthesize(presetId, DType.F32, 11)) {
            GemmaConfig c = (GemmaConfig) model.config();
            GemmaConfig.Attention a = c.attention();
            int[] prompt = tokens(c.vocabSize(), 24, 5);
            float[][] expected = ReferenceDecoder.create(c, model.tensors()).run(prompt);
            Map<String, GemmaConfig> wrong = new LinkedHashMap<>();
            wrong.put("no sliding window", with(c, new GemmaConfig.Attention(a.queryPreAttnScalar(), a.logitSoftcap(),
                    0, a.layerTypes(), a.fullRope(), a.slidingRope())));
            wrong.put("scaled by head_dim^-0.5", with(c, new GemmaConfig.Attention(c.headDim(), a.logitSoftcap(),
                    a.slidingWindow(), a.layerTypes(), a.fullRope(), a.slidingRope())));
            if (c.qkNorm()) {
                wrong.put("one rotary base", with(c, new GemmaConfig.Attention(a.queryPreAttnScalar(), 0,
                        a.slidingWindow(), a.layerTypes(), a.fullRope(), a.fullRope())));
                wrong.put("unscaled global rotary", with(c, new GemmaConfig.Attention(a.queryPreAttnScalar(), 0,
                        a.slidingWindow(), a.layerTypes(), GemmaConfig.Rope.unscaled(a.fullRope().theta()),
                        a.slidingRope())));
            } else {
                wrong.put("no attention softcap", with(c, new GemmaConfig.Attention(a.queryPreAttnScalar(), 0,
                        a.slidingWindow(), a.layerTypes(), a.fullRope(), a.slidingRope())));
                wrong.put("no final softcap", new GemmaConfig(c.modelType(), c.vocabSize(), c.hiddenSize(),
                        c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                        c.contextLength(), c.rmsNormEps(), c.tieWordEmbeddings(), c.attentionBias(), 0, a));
            }
            for (Map.Entry<String, GemmaConfig> variant : wrong.entrySet()) {
                float[][] actual = ReferenceDecoder.create(variant.getValue(), model.tensors()).run(prompt);
                double difference = 0;
                for (int i = 0; i < prompt.length; i++) {
                    difference = Math.max(difference, OracleComparison.maxAbs(expected[i], actual[i]));
                }
                System.out.printf("SENSITIVITY %-12s %-24s max |logit difference| = %.3e%n", presetId, variant.getKey(),
                        difference);
                assertTrue(difference > 100 * TOLERANCE, presetId + " " + variant.getKey() + ": " + difference);
            }
        }
    }

    private static GemmaConfig with(GemmaConfig c, GemmaConfig.Attention attention) {
        return new GemmaConfig(c.modelType(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.contextLength(), c.rmsNormEps(), c.tieWordEmbeddings(),
                c.attentionBias(), c.finalLogitSoftcap(), attention);
    }

    /**
     * The in-place export through the evaluator's session and the growing export through its own contract, each
     * against the reference; returns {in-place prefill, in-place decode, growing prefill, growing decode} maxima
     * after asserting each is within the tolerance.
     */
    private double[] compareBothInterfaces(LoadedModel model, int[] prompt, int decodeSteps) throws Exception {
        Path inPlace = temp.resolve("in-place");
        DecoderExporter.export(model, inPlace, WeightDtype.FLOAT32);
        Path growing = temp.resolve("growing");
        DecoderExporter.export(model, model.tensors(), growing, WeightDtype.FLOAT32, false, LinearQuantization.FLOAT,
                CacheInterface.GROWING, staging -> { });
        GrowingCacheExportTest.assertOpset17Graph(growing);
        OracleComparison.Comparison inPlaceComparison = OracleComparison.compare(model, model.tensors(), inPlace,
                prompt, decodeSteps);
        double[] growingDifferences = GrowingCacheExportTest.differencesToReference(model, model.tensors(), growing,
                prompt, decodeSteps);
        double[] differences = {inPlaceComparison.maxPrefillDifference(), inPlaceComparison.maxDecodeDifference(),
            growingDifferences[0], growingDifferences[1]};
        for (double difference : differences) {
            assertTrue(difference <= TOLERANCE, "max |logit difference| " + java.util.Arrays.toString(differences));
        }
        return differences;
    }

    static int[] tokens(int vocab, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = random.nextInt(vocab);
        }
        return tokens;
    }
}
