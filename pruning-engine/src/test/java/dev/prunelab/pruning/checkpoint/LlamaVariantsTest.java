package dev.prunelab.pruning.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.family.phi3.Phi3Names;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Llama variants as their config.json files are published (Llama 3.1/3.2 with rope_type llama3, Qwen3, Phi-3),
 * the rotary scaling they compute, and every way a checkpoint of theirs can be wrong, each a one-line error naming
 * the field or the tensor.
 */
class LlamaVariantsTest {
    private static final Path SOURCE = Path.of("some/model/config.json");

    /** A config.json as published on the Hugging Face hub, kept verbatim under test resources published-configs/. */
    static String published(String name) {
        try (InputStream in = LlamaVariantsTest.class.getResourceAsStream("/published-configs/" + name + ".json")) {
            if (in == null) {
                throw new IllegalStateException("no test resource published-configs/" + name + ".json");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TempDir
    Path dir;

    // config.json of meta-llama/Llama-3.2-1B, Llama-3.2-3B and Llama-3.1-8B as published
    static final String LLAMA_3_2_1B = published("meta-llama-Llama-3.2-1B");

    static final String LLAMA_3_2_3B = published("meta-llama-Llama-3.2-3B");

    static final String LLAMA_3_1_8B = published("meta-llama-Llama-3.1-8B");

    // config.json of Qwen/Qwen3-0.6B and microsoft/Phi-3-mini-4k-instruct as published
    static final String QWEN3_0_6B = published("Qwen-Qwen3-0.6B");

    static final String PHI3_MINI_4K = published("microsoft-Phi-3-mini-4k-instruct");

    private static HuggingFaceConfig parse(String json) throws IOException {
        return HuggingFaceConfig.parse(Json.MAPPER.readTree(json), SOURCE);
    }

    /** The one-line error of a config.json, with its path. */
    private static String refused(String json) throws IOException {
        JsonNode node = Json.MAPPER.readTree(json);
        String message = assertThrows(ModelFormatException.class, () -> HuggingFaceConfig.parse(node, SOURCE))
                .getMessage();
        assertTrue(message.startsWith(SOURCE + ": ") && !message.contains("\n"), message);
        return message.substring(SOURCE.toString().length() + 2);
    }

    private static String with(String json, String field, String value) throws IOException {
        ObjectNode node = (ObjectNode) Json.MAPPER.readTree(json);
        node.set(field, Json.MAPPER.readTree(value));
        return node.toString();
    }

    @Test
    void llama3ConfigsLoadAsPublished() throws IOException {
        LlamaConfig small = (LlamaConfig) parse(LLAMA_3_2_1B).config();
        assertEquals(new LlamaConfig("llama", 128256, 2048, 8192, 16, 32, 8, 64, 131072, 1e-5, 500000.0, true, false,
                false, RotaryScaling.llama3(32, 1, 4, 8192), 64, 0), small);
        LlamaConfig medium = (LlamaConfig) parse(LLAMA_3_2_3B).config();
        assertEquals(128, medium.headDim());
        assertEquals(24, medium.numHeads());
        assertTrue(medium.tieWordEmbeddings());
        assertEquals(RotaryScaling.llama3(32, 1, 4, 8192), medium.ropeScaling());
        HuggingFaceConfig large = parse(LLAMA_3_1_8B);
        LlamaConfig eight = (LlamaConfig) large.config();
        assertEquals(128, eight.headDim(), "head_dim absent: hidden_size / num_attention_heads");
        assertFalse(eight.tieWordEmbeddings());
        assertEquals(RotaryScaling.llama3(8, 1, 4, 8192), eight.ropeScaling());
        assertEquals(128000, large.bosTokenId());
        assertEquals(128001, large.eosTokenId());
        // the 8B preset that ./lab synthesize writes is that model's shape, field for field
        assertEquals(large, SynthesisPreset.LLAMA_3_8B.config());
        // save_pretrained's shape reads back to the same model
        for (String json : new String[] {LLAMA_3_2_1B, LLAMA_3_2_3B, LLAMA_3_1_8B, QWEN3_0_6B, PHI3_MINI_4K}) {
            HuggingFaceConfig config = parse(json);
            assertEquals(config, HuggingFaceConfig.parse(config.toJson(DType.BF16), SOURCE));
        }
    }

    @Test
    void qwen3AndPhi3ConfigsLoadAsPublished() throws IOException {
        HuggingFaceConfig qwen = parse(QWEN3_0_6B);
        LlamaConfig q = (LlamaConfig) qwen.config();
        assertEquals(new LlamaConfig("qwen3", 151936, 1024, 3072, 28, 16, 8, 128, 40960, 1e-6, 1e6, true, false,
                false, RotaryScaling.NONE, 128, 0), q);
        assertTrue(q.qkNorm());
        assertEquals("llama", ModelFamilies.of(q).id());
        assertEquals(151645, qwen.eosTokenId());
        HuggingFaceConfig phi = parse(PHI3_MINI_4K);
        LlamaConfig p = (LlamaConfig) phi.config();
        assertEquals(new LlamaConfig("phi3", 32064, 3072, 8192, 32, 32, 32, 96, 4096, 1e-5, 10000.0, false, false,
                false, RotaryScaling.NONE, 96, 2047), p);
        assertEquals(2047, p.effectiveSlidingWindow());
        assertEquals("phi3", ModelFamilies.of(p).id());
        assertEquals(32000, phi.eosTokenId());
        // Phi-4-mini's shape: 3/4 of each head rotated
        LlamaConfig partial = (LlamaConfig) parse(with(PHI3_MINI_4K, "partial_rotary_factor", "0.75")).config();
        assertEquals(72, partial.rotaryDim());
        assertEquals(36, partial.inverseFrequencies().length);
        // transformers 5 keeps rope_theta and the scaling in rope_parameters
        LlamaConfig v5 = (LlamaConfig) parse(with(with(LLAMA_3_1_8B, "rope_scaling", "null"), "rope_parameters",
                "{\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 250000.0}")).config();
        assertEquals(RotaryScaling.linear(2), v5.ropeScaling());
        assertEquals(250000.0, v5.ropeTheta());
    }

    /**
     * modeling_rope_utils' formulas, evaluated by hand: Llama 3.1's head_dim 128, theta 500000, factor 8, low 1,
     * high 4, original context 8192 (wavelengths below 2048 kept, above 8192 divided by 8, blended between).
     */
    @Test
    void rotaryScalingComputesTheInverseFrequenciesAsTransformers() {
        double[] plain = RotaryScaling.NONE.inverseFrequencies(500000, 128);
        double[] llama3 = RotaryScaling.llama3(8, 1, 4, 8192).inverseFrequencies(500000, 128);
        double[] linear = RotaryScaling.linear(4).inverseFrequencies(500000, 128);
        assertEquals(64, plain.length);
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int i = 0; i < 64; i++) {
            double f = Math.pow(500000, -2.0 * i / 128);
            assertEquals(f, plain[i], 1e-15 * Math.max(1, f));
            assertEquals(f / 4, linear[i], 1e-15);
            double wavelength = 2 * Math.PI / f;
            if (wavelength < 2048) {
                assertEquals(f, llama3[i], 1e-15);
                kept++;
            } else if (wavelength > 8192) {
                assertEquals(f / 8, llama3[i], 1e-15);
                divided++;
            } else {
                double s = (8192 / wavelength - 1) / 3;
                assertEquals((1 - s) * f / 8 + s * f, llama3[i], 1e-15);
                assertTrue(llama3[i] < f && llama3[i] > f / 8);
                blended++;
            }
        }
        assertTrue(kept > 0 && divided > 0 && blended > 0, kept + " kept, " + divided + " divided, " + blended);
        // the first frequency (wavelength 2π) is never scaled; the last is 1/8 of theta^(-126/128)
        assertEquals(1.0, llama3[0]);
        assertEquals(Math.pow(500000, -126.0 / 128) / 8, llama3[63], 1e-18);
        // partial rotary: the exponent runs over the rotated dimensions only
        assertEquals(Math.pow(10000, -2.0 / 8), RotaryScaling.NONE.inverseFrequencies(10000, 8)[1], 1e-15);
    }

    @Test
    void unsupportedRotaryScalingIsRefusedByName() throws IOException {
        assertEquals("rope_scaling.rope_type 'yarn' is not supported (supported: default, linear, llama3)",
                refused(with(LLAMA_3_1_8B, "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0,"
                        + " \"original_max_position_embeddings\": 32768}")));
        assertEquals("rope_scaling.rope_type 'dynamic' is not supported (supported: default, linear, llama3)",
                refused(with(LLAMA_3_1_8B, "rope_scaling", "{\"type\": \"dynamic\", \"factor\": 2.0}")));
        // Phi-3 128k's LongRoPE, and the older name Phi-3 configs gave it
        assertEquals("rope_scaling.rope_type 'longrope' is not supported (supported: default, linear, llama3)",
                refused(with(PHI3_MINI_4K, "rope_scaling", "{\"type\": \"longrope\", \"long_factor\": [1.0],"
                        + " \"short_factor\": [1.0]}")));
        assertEquals("rope_scaling.rope_type 'su' is not supported (supported: default, linear, llama3)",
                refused(with(PHI3_MINI_4K, "rope_scaling", "{\"type\": \"su\", \"long_factor\": [1.0],"
                        + " \"short_factor\": [1.0]}")));
        assertEquals("field 'rope_scaling.low_freq_factor' is missing (required by rope_type 'llama3')",
                refused(with(LLAMA_3_1_8B, "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0}")));
        assertEquals("field 'rope_scaling' has no rope_type",
                refused(with(LLAMA_3_1_8B, "rope_scaling", "{\"factor\": 8.0}")));
        assertEquals("rope_scaling needs 0 < low_freq_factor < high_freq_factor, was 4.0 and 4.0",
                refused(with(LLAMA_3_1_8B, "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0,"
                        + " \"low_freq_factor\": 4.0, \"high_freq_factor\": 4.0,"
                        + " \"original_max_position_embeddings\": 8192}")));
    }

    @Test
    void otherUnsupportedFieldsAreRefusedByName() throws IOException {
        assertTrue(refused(with(LLAMA_3_1_8B, "model_type", "\"deepseek_v3\""))
                .startsWith("field 'model_type': unknown model_type 'deepseek_v3' (supported: llama, mistral, qwen2,"
                        + " qwen3"));
        assertTrue(refused(with(LLAMA_3_1_8B, "model_type", "\"deepseek_v3\"")).contains("phi3"));
        assertEquals("field 'hidden_act': 'gelu' is not supported (the qwen3 MLP is gated by silu)",
                refused(with(QWEN3_0_6B, "hidden_act", "\"gelu\"")));
        assertEquals("field 'partial_rotary_factor': 0.31 x head_dim 96 = 29 rotary dimensions; they must be even, "
                + "positive and at most head_dim", refused(with(PHI3_MINI_4K, "partial_rotary_factor", "0.31")));
        assertEquals("field 'use_sliding_window': qwen3 sliding-window layers are not supported (only full attention"
                + " in every layer)", refused(with(with(with(QWEN3_0_6B, "use_sliding_window", "true"),
                        "sliding_window", "4096"), "max_window_layers", "20")));
        // every layer full: use_sliding_window changes nothing, and is read
        parse(with(with(QWEN3_0_6B, "use_sliding_window", "true"), "sliding_window", "4096"));
        // num_key_value_heads absent: Qwen3Config's default 32, which 16 query heads cannot share
        String absentKv = refused(QWEN3_0_6B.replace("\"num_key_value_heads\": 8,", ""));
        assertEquals("num_attention_heads 16 is not a multiple of num_key_value_heads 32", absentKv);
    }

    /** Writes {@code preset} as float32, lets {@code edit} change its config.json or tensors, and opens it. */
    private String openRefused(SynthesisPreset preset, Consumer<Path> edit) {
        Path model = dir.resolve(preset.id() + "-" + Math.abs(System.nanoTime()));
        CheckpointSynthesizer.write(model, preset, DType.F32, 3);
        edit.accept(model);
        String message = assertThrows(ModelFormatException.class, () -> ModelLoader.open(model)).getMessage();
        assertFalse(message.contains("\n"), message);
        return message.substring(message.indexOf(": ") + 2);
    }

    /** config.json with {@code field} set to {@code value}. */
    private static Consumer<Path> config(String field, String value) {
        return model -> {
            try {
                Path file = model.resolve("config.json");
                ObjectNode json = (ObjectNode) Json.MAPPER.readTree(Files.readAllBytes(file));
                json.set(field, Json.MAPPER.readTree(value));
                Files.writeString(file, json.toString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
    }

    /** model.safetensors rewritten with {@code name} dropped (shape null) or reshaped (its values cut or padded). */
    private static Consumer<Path> tensor(String name, long... shape) {
        return model -> {
            Path file = model.resolve("model.safetensors");
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            try (SafetensorsFile stored = SafetensorsFile.open(file)) {
                for (String stored1 : stored.names()) {
                    values.put(stored1, stored.readFloats(stored1));
                    shapes.put(stored1, stored.info(stored1).shape());
                }
            }
            if (shape.length == 0) {
                values.remove(name);
                shapes.remove(name);
            } else {
                long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                values.put(name, Arrays.copyOf(values.get(name), (int) count));
                shapes.put(name, shape);
            }
            var entries = values.keySet().stream()
                    .map(n -> new SafetensorsWriter.Entry(n, DType.F32, shapes.get(n))).toList();
            try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
                for (String n : values.keySet()) {
                    writer.write(n, values.get(n));
                }
            }
        };
    }

    @Test
    void badQwen3CheckpointsNameTheTensorOrField() {
        String qNorm = LlamaNames.attention(1, "q_norm.weight");
        assertEquals("tensor '" + qNorm + "': missing (required by the qwen3 layout)",
                openRefused(SynthesisPreset.TINY_QWEN3, tensor(qNorm)));
        assertEquals("tensor '" + qNorm + "': shape [16] where [32] was expected",
                openRefused(SynthesisPreset.TINY_QWEN3, tensor(qNorm, 16)));
        // config.json contradicting the tensors: more heads than q_proj holds, another MLP width
        assertEquals("tensor '" + LlamaNames.attention(0, "q_proj.weight") + "': 4 query heads (rows / head_dim 32)"
                + " where config.json's num_attention_heads says 8",
                openRefused(SynthesisPreset.TINY_QWEN3, config("num_attention_heads", "8")));
        assertEquals("tensor '" + LlamaNames.mlp(0, "gate_proj.weight") + "': 96 rows where config.json's "
                + "intermediate_size says 128", openRefused(SynthesisPreset.TINY_QWEN3, config("intermediate_size", "128")));
        assertEquals("tensor '" + LlamaNames.attention(0, "q_proj.weight") + "': shape [128, 64] where [k * head_dim"
                + " (48), 64] was expected", openRefused(SynthesisPreset.TINY_QWEN3, config("head_dim", "48")));
    }

    @Test
    void badPhi3CheckpointsNameTheFusedTensorOrField() {
        String qkv = Phi3Names.qkv(0);
        assertEquals("tensor '" + qkv + "': missing (required by the phi3 layout)",
                openRefused(SynthesisPreset.TINY_PHI3, tensor(qkv)));
        assertEquals("tensor '" + Phi3Names.gateUp(1) + "': shape [96, 64] where [intermediate_size 96 +"
                + " intermediate_size 96 = 192, 64] was expected",
                openRefused(SynthesisPreset.TINY_PHI3, tensor(Phi3Names.gateUp(1), 96, 64)));
        // config.json contradicting qkv_proj: 4 key/value heads, where the tensor holds 2
        assertEquals("tensor '" + qkv + "': shape [128, 64] where [num_attention_heads 4 x head_dim 16 +"
                + " num_key_value_heads 4 x head_dim 16 + num_key_value_heads 4 x head_dim 16 = 192, 64] was expected",
                openRefused(SynthesisPreset.TINY_PHI3, config("num_key_value_heads", "4")));
        assertEquals("tensor '" + LlamaNames.mlp(0, "down_proj.weight") + "': shape [64, 96] where [64, 80] was "
                + "expected", openRefused(SynthesisPreset.TINY_PHI3, model -> {
                    config("intermediate_size", "80").accept(model);
                    tensor(Phi3Names.gateUp(0), 160, 64).accept(model);
                    tensor(Phi3Names.gateUp(1), 160, 64).accept(model);
                }));
    }

    /** The real-shape presets hold their models' published parameter counts (Qwen3-0.6B: 0.44B without embeddings). */
    @Test
    void realShapePresetsHaveThePublishedParameterCounts() {
        assertEquals(596_049_920L, parameters(SynthesisPreset.QWEN3_0_6B));
        assertEquals(3_821_079_552L, parameters(SynthesisPreset.PHI3_MINI));
        assertEquals(Phi3Names.qkv(31), CheckpointSynthesizer.layout(SynthesisPreset.PHI3_MINI.config().config())
                .stream().filter(t -> t.shape()[0] == 9216).reduce((a, b) -> b).orElseThrow().name());
    }

    private static long parameters(SynthesisPreset preset) {
        return CheckpointSynthesizer.layout(preset.config().config()).stream()
                .mapToLong(t -> Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b)).sum();
    }

    /**
     * Phi-3's fused matrices read as the Llama matrices they hold (q, k, v rows; gate then up) and fused back to the
     * stored bytes; the synthesized layout is modeling_phi3's.
     */
    @Test
    void phi3FusedMatricesSplitIntoTheirRowsAndFuseBack() throws IOException {
        Path model = dir.resolve("phi3");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_PHI3, DType.BF16, 9);
        try (LoadedModel loaded = ModelLoader.open(model);
             SafetensorsFile stored = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            LlamaConfig c = (LlamaConfig) loaded.config();
            assertEquals(8, c.rotaryDim());
            assertEquals(8, c.slidingWindow());
            TensorSource split = loaded.tensors();
            assertFalse(split.contains(Phi3Names.qkv(0)));
            float[] qkv = stored.readFloats(Phi3Names.qkv(0));
            float[] q = split.readFloats(LlamaNames.attention(0, "q_proj.weight"));
            float[] k = split.readFloats(LlamaNames.attention(0, "k_proj.weight"));
            float[] v = split.readFloats(LlamaNames.attention(0, "v_proj.weight"));
            assertArrayEquals(new long[] {64, 64}, split.info(LlamaNames.attention(0, "q_proj.weight")).shape());
            assertArrayEquals(new long[] {32, 64}, split.info(LlamaNames.attention(0, "v_proj.weight")).shape());
            assertEquals(DType.BF16, split.info(LlamaNames.attention(0, "k_proj.weight")).dtype());
            assertArrayEquals(Arrays.copyOfRange(qkv, 0, 64 * 64), q);
            assertArrayEquals(Arrays.copyOfRange(qkv, 64 * 64, 96 * 64), k);
            assertArrayEquals(Arrays.copyOfRange(qkv, 96 * 64, 128 * 64), v);
            float[] gateUp = stored.readFloats(Phi3Names.gateUp(1));
            assertArrayEquals(Arrays.copyOfRange(gateUp, 0, 96 * 64), split.readFloats(LlamaNames.mlp(1, "gate_proj.weight")));
            assertArrayEquals(Arrays.copyOfRange(gateUp, 96 * 64, 192 * 64), split.readFloats(LlamaNames.mlp(1, "up_proj.weight")));
            TensorSource fused = ModelFamilies.of(c).toCheckpoint(c, split);
            assertEquals(stored.names(), fused.names());
            for (String name : stored.names()) {
                assertArrayEquals(stored.info(name).shape(), fused.info(name).shape(), name);
                assertArrayEquals(stored.readFloats(name), fused.readFloats(name), name);
            }
        }
    }
}
