package dev.prunelab.integration.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.cli.LabCli;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsWriter;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ForwardingTensorSource;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trained weights in Hugging Face layout: stories15M's llama2.c file converted here to a Hugging Face Llama directory
 * the way transformers' {@code convert_llama_weights_to_hf.py} converts Meta's checkpoints (q/k rows permuted from
 * adjacent pairs to rotate-half with its {@code permute}, config.json as save_pretrained writes it), independently of
 * the lab's llama2.c reader, then read back through the lab's Hugging Face reader, which permutes nothing:
 * <ul>
 *   <li>float32 in one model.safetensors, the head tied as in the file: the llama2.c file's tensors bit for bit,
 *       and its perplexity within 1e-4 relative;</li>
 *   <li>bfloat16 in three shards with model.safetensors.index.json and an untied lm_head.weight (a copy of the
 *       embedding): the llama2.c tensors rounded to bfloat16, and their perplexity (the llama2.c model with its
 *       weights rounded to bfloat16 in memory, exported the same way) within 1e-4 relative.</li>
 * </ul>
 * Perplexity as {@code ./lab eval} measures it by default: TinyStories validation paragraphs as BOS + pieces, windows
 * of the context length (256), the first N ({@value #DEFAULT_WINDOWS} unless {@code -Dstories15m.windows=N}; with 200,
 * the llama2.c file's 5.470 is checked too), one thread.
 */
class Stories15MHuggingFaceLayoutTest {
    static final int DEFAULT_WINDOWS = 50;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temp;

    static Path llama2c;
    static Header header;

    /** The 7 int32 of the legacy llama2.c header, read here. */
    record Header(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocab, boolean shared, int seqLen) {
        int headDim() {
            return dim / heads;
        }
    }

    @BeforeAll
    static void readHeader() throws IOException {
        llama2c = SharedData.path("models/stories15M/stories15M.bin");
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(llama2c), 0, 28).order(ByteOrder.LITTLE_ENDIAN);
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) {
            h[i] = bytes.getInt(i * 4);
        }
        header = new Header(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[5] > 0, h[6]);
        assertEquals(new Header(288, 768, 6, 6, 6, 32000, true, 256), header);
    }

    /**
     * The llama2.c legacy file's tensors in file order under Hugging Face names, as stored (q/k rows still in
     * llama2.c's adjacent-pair order): token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1 (gate), w2 (down),
     * w3 (up), rms_final, then freq_cis (skipped).
     */
    static Map<String, float[]> readLlama2c() throws IOException {
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(llama2c)).order(ByteOrder.LITTLE_ENDIAN);
        file.position(28);
        int dim = header.dim();
        int kvDim = header.kvHeads() * header.headDim();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        tensors.put("model.embed_tokens.weight", floats(file, header.vocab() * dim));
        String[][] stacks = {{"input_layernorm.weight", "" + dim}, {"self_attn.q_proj.weight", "" + dim * dim},
            {"self_attn.k_proj.weight", "" + kvDim * dim}, {"self_attn.v_proj.weight", "" + kvDim * dim},
            {"self_attn.o_proj.weight", "" + dim * dim}, {"post_attention_layernorm.weight", "" + dim},
            {"mlp.gate_proj.weight", "" + header.hiddenDim() * dim}, {"mlp.down_proj.weight", "" + dim * header.hiddenDim()},
            {"mlp.up_proj.weight", "" + header.hiddenDim() * dim}};
        for (String[] stack : stacks) {
            for (int layer = 0; layer < header.layers(); layer++) {
                tensors.put("model.layers." + layer + "." + stack[0], floats(file, Integer.parseInt(stack[1])));
            }
        }
        tensors.put("model.norm.weight", floats(file, dim));
        file.position(file.position() + header.seqLen() * header.headDim() / 2 * 2 * 4);   // freq_cis_real, _imag
        assertEquals(file.limit(), file.position(), "a shared classifier: nothing after the RoPE tables");
        return tensors;
    }

    static float[] floats(ByteBuffer file, int count) {
        float[] values = new float[count];
        file.asFloatBuffer().get(values);
        file.position(file.position() + count * 4);
        return values;
    }

    /**
     * transformers' {@code permute(w, n_heads, dim1, dim2)}:
     * {@code w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)}, element by element
     * over the view's indices [h][i][j][c] -> the transposed tensor's [h][j][i][c].
     */
    static float[] permute(float[] w, int nHeads, int dim1, int dim2) {
        int pairs = dim1 / nHeads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < pairs; i++) {
                for (int j = 0; j < 2; j++) {
                    for (int c = 0; c < dim2; c++) {
                        int from = ((h * pairs + i) * 2 + j) * dim2 + c;   // contiguous view (n_heads, pairs, 2, dim2)
                        int to = ((h * 2 + j) * pairs + i) * dim2 + c;     // after transpose(1, 2), made contiguous
                        out[to] = w[from];
                    }
                }
            }
        }
        return out;
    }

    /** The shape of each Hugging Face tensor. */
    static long[] shape(String name) {
        long dim = header.dim();
        long kvDim = (long) header.kvHeads() * header.headDim();
        if (name.endsWith("norm.weight") || name.endsWith("layernorm.weight")) {
            return new long[] {dim};
        }
        if (name.endsWith("embed_tokens.weight") || name.equals("lm_head.weight")) {
            return new long[] {header.vocab(), dim};
        }
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) {
            return new long[] {kvDim, dim};
        }
        if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) {
            return new long[] {header.hiddenDim(), dim};
        }
        if (name.endsWith("down_proj.weight")) {
            return new long[] {dim, header.hiddenDim()};
        }
        return new long[] {dim, dim};
    }

    /** config.json as LlamaConfig(...).save_pretrained writes it for this header (transformers 4.4x). */
    static ObjectNode configJson(String torchDtype, boolean tied) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("head_dim", header.headDim());
        c.put("hidden_act", "silu");
        c.put("hidden_size", header.dim());
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", header.hiddenDim());
        c.put("max_position_embeddings", header.seqLen());
        c.put("mlp_bias", false);
        c.put("model_type", "llama");
        c.put("num_attention_heads", header.heads());
        c.put("num_hidden_layers", header.layers());
        c.put("num_key_value_heads", header.kvHeads());
        c.put("pretraining_tp", 1);
        c.put("rms_norm_eps", 1e-5);
        c.putNull("rope_scaling");
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", tied);
        c.put("torch_dtype", torchDtype);
        c.put("transformers_version", "4.46.0");
        c.put("use_cache", true);
        c.put("vocab_size", header.vocab());
        return c;
    }

    /** The converted state dict: q/k permuted per head (k by the key/value heads), as the conversion script does. */
    static Map<String, float[]> huggingFaceStateDict(boolean untiedHead) throws IOException {
        Map<String, float[]> tensors = readLlama2c();
        int kvDim = header.kvHeads() * header.headDim();
        for (int layer = 0; layer < header.layers(); layer++) {
            String q = "model.layers." + layer + ".self_attn.q_proj.weight";
            String k = "model.layers." + layer + ".self_attn.k_proj.weight";
            tensors.put(q, permute(tensors.get(q), header.heads(), header.dim(), header.dim()));
            tensors.put(k, permute(tensors.get(k), header.kvHeads(), kvDim, header.dim()));
        }
        if (untiedHead) {
            tensors.put("lm_head.weight", tensors.get("model.embed_tokens.weight").clone());
        }
        return tensors;
    }

    static void writeSafetensors(Path file, Map<String, float[]> tensors, DType dtype) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        tensors.forEach((name, values) -> entries.add(new SafetensorsWriter.Entry(name, dtype, shape(name))));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            tensors.forEach(writer::write);
        }
    }

    /** (a) float32, one model.safetensors, tied head. */
    static Path writeFloat32(Path directory) throws IOException {
        Files.createDirectories(directory);
        JSON.writerWithDefaultPrettyPrinter().writeValue(directory.resolve("config.json").toFile(),
                configJson("float32", true));
        writeSafetensors(directory.resolve("model.safetensors"), huggingFaceStateDict(false), DType.F32);
        Files.copy(llama2c.resolveSibling("tokenizer.bin"), directory.resolve("tokenizer.bin"));
        return directory;
    }

    /** (b) bfloat16 in three shards (embedding; layers 0-2 + norm; layers 3-5 + head) with the index, head untied. */
    static Path writeBfloat16Sharded(Path directory) throws IOException {
        Files.createDirectories(directory);
        JSON.writerWithDefaultPrettyPrinter().writeValue(directory.resolve("config.json").toFile(),
                configJson("bfloat16", false));
        Map<String, float[]> all = huggingFaceStateDict(true);
        List<Map<String, float[]>> shards = List.of(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
        all.forEach((name, values) -> {
            int shard = name.equals("model.embed_tokens.weight") ? 0
                    : name.equals("model.norm.weight") ? 1
                    : name.equals("lm_head.weight") ? 2
                    : Integer.parseInt(name.split("\\.")[2]) < 3 ? 1 : 2;
            shards.get(shard).put(name, values);
        });
        ObjectNode index = JSON.createObjectNode();
        long totalBytes = 0;
        ObjectNode weightMap = JSON.createObjectNode();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeSafetensors(directory.resolve(file), shards.get(i), DType.BF16);
            for (Map.Entry<String, float[]> tensor : shards.get(i).entrySet()) {
                weightMap.put(tensor.getKey(), file);
                totalBytes += 2L * tensor.getValue().length;
            }
        }
        index.putObject("metadata").put("total_size", totalBytes);
        index.set("weight_map", weightMap);
        JSON.writerWithDefaultPrettyPrinter().writeValue(directory.resolve("model.safetensors.index.json").toFile(),
                index);
        Files.copy(llama2c.resolveSibling("tokenizer.bin"), directory.resolve("tokenizer.bin"));
        return directory;
    }

    /** A source's tensors rounded to bfloat16 (round to nearest even, as torch's .bfloat16()) and widened back. */
    record RoundedToBfloat16(TensorSource base) implements ForwardingTensorSource {
        @Override
        public float[] readFloats(String name) {
            float[] values = base.readFloats(name);
            for (int i = 0; i < values.length; i++) {
                values[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
            }
            return values;
        }
    }

    /** {@code ./lab eval --model DIR --max-windows N --threads 1}: the default perplexity of the exported model. */
    static double perplexity(Path exported, int windows) throws IOException {
        Path json = exported.resolveSibling(exported.getFileName() + "-eval.json");
        StringWriter err = new StringWriter();
        int code = LabCli.run(new PrintWriter(err, true), "eval", "--model", exported.toString(), "--max-windows",
                String.valueOf(windows), "--threads", "1", "--json", json.toString());
        assertEquals(0, code, err.toString());
        JsonNode perplexity = JSON.readTree(json.toFile()).get("perplexity");
        assertEquals(windows, perplexity.get("windows").asInt());
        assertEquals(header.seqLen(), perplexity.get("window").asInt());
        return perplexity.get("perplexity").asDouble();
    }

    @Test
    void bothHuggingFaceLayoutsReadAsTheLlama2cModelAndScoreItsPerplexity() throws IOException {
        int windows = Integer.getInteger("stories15m.windows", DEFAULT_WINDOWS);
        Path float32 = writeFloat32(temp.resolve("stories15M-hf-f32"));
        Path bfloat16 = writeBfloat16Sharded(temp.resolve("stories15M-hf-bf16-sharded"));

        // the readers agree tensor by tensor: the conversion's permutation is the llama2.c reader's
        try (LoadedModel file = ModelLoader.open(llama2c); LoadedModel f32 = ModelLoader.open(float32);
             LoadedModel bf16 = ModelLoader.open(bfloat16)) {
            assertEquals(file.config(), f32.config());
            assertEquals(file.tensors().names(), f32.tensors().names());
            assertEquals(3, bf16.weightFiles().size());
            assertTrue(bf16.tensors().contains("lm_head.weight"));
            TensorSource rounded = new RoundedToBfloat16(file.tensors());
            for (String name : file.tensors().names()) {
                assertArrayEquals(file.tensors().readFloats(name), f32.tensors().readFloats(name), name);
                assertEquals(DType.BF16, bf16.tensors().info(name).dtype(), name);
                assertArrayEquals(rounded.readFloats(name), bf16.tensors().readFloats(name), name);
            }
            assertArrayEquals(rounded.readFloats("model.embed_tokens.weight"),
                    bf16.tensors().readFloats("lm_head.weight"));
            assertEquals(file.bosTokenId(), f32.bosTokenId());
            assertEquals(file.bosTokenId(), bf16.bosTokenId());

            Path exported = temp.resolve("exported");
            DecoderExporter.export(file, exported.resolve("llama2c"), WeightDtype.FLOAT32);
            DecoderExporter.export(file, rounded, exported.resolve("llama2c-bf16"), WeightDtype.FLOAT32);
            DecoderExporter.export(f32, exported.resolve("hf-f32"), WeightDtype.FLOAT32);
            DecoderExporter.export(bf16, exported.resolve("hf-bf16"), WeightDtype.FLOAT32);
        }
        Path exported = temp.resolve("exported");
        double llama2cPerplexity = perplexity(exported.resolve("llama2c"), windows);
        double f32Perplexity = perplexity(exported.resolve("hf-f32"), windows);
        double roundedPerplexity = perplexity(exported.resolve("llama2c-bf16"), windows);
        double bf16Perplexity = perplexity(exported.resolve("hf-bf16"), windows);
        System.out.printf("stories15M perplexity, first %d validation windows of 256: llama2.c %.6f, HF float32 %.6f, "
                + "llama2.c rounded to bfloat16 %.6f, HF bfloat16 sharded untied %.6f%n", windows, llama2cPerplexity,
                f32Perplexity, roundedPerplexity, bf16Perplexity);
        assertEquals(1.0, f32Perplexity / llama2cPerplexity, 1e-4, "HF float32 vs the llama2.c file");
        assertEquals(1.0, bf16Perplexity / roundedPerplexity, 1e-4, "HF bfloat16 vs the llama2.c weights rounded");
        if (windows == 200) {
            assertEquals(5.470, llama2cPerplexity, 5e-4, "the figure of docs/tests.md for the first 200 windows");
        }
    }
}
