package dev.prunelab.pruning.family.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor.Init;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.family.NamedFamily;
import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.model.DecoderConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama, and the configs that differ from it only in fields (Mistral, Qwen2, Qwen3): rotary positions (scaled as
 * rope_scaling says), RMSNorm, SwiGLU MLP, grouped-query attention. Qwen2 always has q/k/v biases and no o_proj
 * bias; Llama's (and Qwen3's) attention_bias puts a bias on all four projections; Qwen3 normalises each query and
 * key head (q_norm, k_norm) before the rotation; Mistral slides a window over every layer.
 */
public final class LlamaFamily extends NamedFamily implements LlamaLayers {

    public LlamaFamily() {
        super("llama", List.of("llama", "mistral", "qwen2", "qwen3"), 1, 2);
    }

    /**
     * Reads every config of the Llama shape: Llama, Mistral, Qwen2, Qwen3 and Phi-3 (whose {@code Phi3Family} reads
     * its config here), each with its own Hugging Face defaults for absent fields. Refused, naming the field: a
     * rope_scaling other than default, linear or llama3; an activation other than SiLU; Qwen2/Qwen3 sliding-window
     * layers ({@code use_sliding_window}).
     */
    @Override
    public LlamaConfig readConfig(ConfigFields f, String modelType) {
        boolean qwen = modelType.startsWith("qwen");
        boolean qwen3 = "qwen3".equals(modelType);
        boolean phi3 = "phi3".equals(modelType);
        String activation = f.optionalString("hidden_act", "silu");
        if (!"silu".equals(activation)) {
            throw f.invalid("field 'hidden_act': '" + activation + "' is not supported (the " + modelType
                    + " MLP is gated by silu)");
        }
        RotaryScaling ropeScaling = RotaryScaling.read(f);
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        int headDim;
        if (f.has("head_dim")) {
            headDim = f.requiredInt("head_dim");
        } else if (qwen3) {
            headDim = QWEN3_DEFAULT_HEAD_DIM;
        } else {
            if (heads <= 0 || hidden % heads != 0) {
                throw f.invalid("field 'head_dim' is absent and hidden_size " + hidden
                        + " is not a multiple of num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        int rotaryDim = headDim;
        if (phi3) {
            double partial = f.optionalDouble("partial_rotary_factor", 1.0);
            rotaryDim = (int) (headDim * partial);   // as transformers' int(head_dim * partial_rotary_factor)
            if (!(partial > 0 && partial <= 1) || rotaryDim <= 0 || rotaryDim % 2 != 0) {
                throw f.invalid("field 'partial_rotary_factor': " + partial + " x head_dim " + headDim + " = "
                        + rotaryDim + " rotary dimensions; they must be even, positive and at most head_dim");
            }
        }
        int slidingWindow = 0;
        if (qwen) {
            refuseQwenSlidingLayers(f, modelType);
        } else if (!"llama".equals(modelType)) {
            slidingWindow = f.optionalInt("sliding_window", 0);   // Mistral and Phi-3: every layer; null is none
            if (slidingWindow < 0) {
                throw f.invalid("field 'sliding_window' must be positive or null, was " + slidingWindow);
            }
        }
        // Qwen2's q/k/v projections always carry biases; its config has no attention_bias field. Phi-3's fused
        // projections never do.
        boolean attentionBias = "qwen2".equals(modelType) || (!phi3 && f.optionalBoolean("attention_bias", false));
        return new LlamaConfig(modelType,
                f.requiredInt("vocab_size"),
                hidden,
                f.requiredInt("intermediate_size"),
                f.requiredInt("num_hidden_layers"),
                heads,
                f.optionalInt("num_key_value_heads", qwen3 ? QWEN3_DEFAULT_KV_HEADS : heads),
                headDim,
                f.requiredInt("max_position_embeddings"),
                f.optionalDouble("rms_norm_eps", phi3 ? 1e-5 : 1e-6),
                RotaryScaling.theta(f, 10000.0),
                f.optionalBoolean("tie_word_embeddings", false),
                attentionBias,
                "llama".equals(modelType) && f.optionalBoolean("mlp_bias", false),
                ropeScaling,
                rotaryDim,
                slidingWindow);
    }

    /** Qwen3Config's defaults where config.json leaves the field out (transformers' configuration_qwen3.py). */
    private static final int QWEN3_DEFAULT_HEAD_DIM = 128;
    private static final int QWEN3_DEFAULT_KV_HEADS = 32;

    /**
     * Qwen2/Qwen3 slide a window only with use_sliding_window, and then over the layers from max_window_layers on
     * (or those layer_types names "sliding_attention"): refused, since the layers would differ.
     */
    private static void refuseQwenSlidingLayers(ConfigFields f, String modelType) {
        if (!f.optionalBoolean("use_sliding_window", false)) {
            return;
        }
        int layers = f.requiredInt("num_hidden_layers");
        boolean sliding = f.optionalInt("max_window_layers", 28) < layers;
        JsonNode types = f.raw("layer_types");
        if (types != null && types.isArray()) {
            sliding = false;
            for (JsonNode type : types) {
                sliding |= "sliding_attention".equals(type.asText());
            }
        }
        JsonNode window = f.raw("sliding_window");
        if (sliding && (window == null || !window.isNull())) {   // absent: Qwen's default window 4096
            throw f.invalid("field 'use_sliding_window': " + modelType
                    + " sliding-window layers are not supported (only full attention in every layer)");
        }
    }

    @Override
    public void writeConfig(DecoderConfig config, ObjectNode json) {
        LlamaConfig c = (LlamaConfig) config;
        json.putArray("architectures").add(switch (c.modelType()) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            case "phi3" -> "Phi3ForCausalLM";
            default -> "LlamaForCausalLM";
        });
        ModelFamily.writeShape(c, json);
        json.put("hidden_act", "silu");
        json.put("rms_norm_eps", c.rmsNormEps());
        json.put("rope_theta", c.ropeTheta());
        c.ropeScaling().write(json);
        if ("phi3".equals(c.modelType())) {
            json.put("partial_rotary_factor", (double) c.rotaryDim() / c.headDim());
        }
        if (c.modelType().startsWith("qwen")) {
            json.put("use_sliding_window", false);
            json.putNull("sliding_window");
        } else if (!"llama".equals(c.modelType())) {
            if (c.slidingWindow() > 0) {
                json.put("sliding_window", c.slidingWindow());
            } else {
                json.putNull("sliding_window");
            }
        }
        json.put("tie_word_embeddings", c.tieWordEmbeddings());
        json.put("attention_bias", c.attentionBias());
        json.put("mlp_bias", c.mlpBias());
    }

    /** Llama's attention_bias also puts a bias on o_proj; Qwen2 has biases on q/k/v only. */
    private static boolean outputBias(LlamaConfig c) {
        return c.attentionBias() && !"qwen2".equals(c.modelType());
    }

    /**
     * Also, in a checkpoint as opened, that every width is config.json's: query heads (num_attention_heads),
     * key/value heads (num_key_value_heads) and the MLP (intermediate_size).
     */
    @Override
    public void checkLayout(DecoderConfig config, LayoutCheck check) {
        LlamaConfig c = (LlamaConfig) config;
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        check.embeddingNormAndHead(LlamaNames.EMBED, LlamaNames.FINAL_NORM, LlamaNames.LM_HEAD, c.vocabSize(), hidden,
                c.tieWordEmbeddings());
        for (int layer = 0; layer < c.numLayers(); layer++) {
            check.exact(LlamaNames.inputNorm(layer), hidden);
            check.exact(LlamaNames.postAttentionNorm(layer), hidden);
            check.llamaStyleAttention(c, headDim, LlamaNames.attention(layer, ""), c.attentionBias(), outputBias(c),
                    c.qkNorm());
            check.gatedMlp(LlamaNames.mlp(layer, ""), hidden, c.intermediateSize(), c.mlpBias());
        }
    }

    @Override
    public List<CheckpointTensor> checkpointLayout(DecoderConfig config) {
        LlamaConfig c = (LlamaConfig) config;
        List<CheckpointTensor> t = new ArrayList<>();
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long mlp = c.intermediateSize();
        t.add(new CheckpointTensor(LlamaNames.EMBED, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            t.add(new CheckpointTensor(LlamaNames.inputNorm(layer), new long[] {hidden}, Init.NORM));
            for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
                long rows = proj.equals("q_proj") ? q : kv;
                t.add(new CheckpointTensor(LlamaNames.attention(layer, proj + ".weight"), new long[] {rows, hidden},
                        Init.WEIGHT));
                if (c.attentionBias()) {
                    t.add(new CheckpointTensor(LlamaNames.attention(layer, proj + ".bias"), new long[] {rows},
                            Init.BIAS));
                }
            }
            t.add(new CheckpointTensor(LlamaNames.attention(layer, "o_proj.weight"), new long[] {hidden, q},
                    Init.WEIGHT));
            if (outputBias(c)) {
                t.add(new CheckpointTensor(LlamaNames.attention(layer, "o_proj.bias"), new long[] {hidden}, Init.BIAS));
            }
            if (c.qkNorm()) {
                t.add(new CheckpointTensor(LlamaNames.attention(layer, "q_norm.weight"), new long[] {c.headDim()},
                        Init.NORM));
                t.add(new CheckpointTensor(LlamaNames.attention(layer, "k_norm.weight"), new long[] {c.headDim()},
                        Init.NORM));
            }
            t.add(new CheckpointTensor(LlamaNames.mlp(layer, "gate_proj.weight"), new long[] {mlp, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(LlamaNames.mlp(layer, "up_proj.weight"), new long[] {mlp, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(LlamaNames.mlp(layer, "down_proj.weight"), new long[] {hidden, mlp}, Init.WEIGHT));
            if (c.mlpBias()) {
                t.add(new CheckpointTensor(LlamaNames.mlp(layer, "gate_proj.bias"), new long[] {mlp}, Init.BIAS));
                t.add(new CheckpointTensor(LlamaNames.mlp(layer, "up_proj.bias"), new long[] {mlp}, Init.BIAS));
                t.add(new CheckpointTensor(LlamaNames.mlp(layer, "down_proj.bias"), new long[] {hidden}, Init.BIAS));
            }
            t.add(new CheckpointTensor(LlamaNames.postAttentionNorm(layer), new long[] {hidden}, Init.NORM));
        }
        t.add(new CheckpointTensor(LlamaNames.FINAL_NORM, new long[] {hidden}, Init.NORM));
        if (!c.tieWordEmbeddings()) {
            t.add(new CheckpointTensor(LlamaNames.LM_HEAD, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        }
        return List.copyOf(t);
    }

    @Override
    public FamilyGraphs graphs(DecoderConfig config) {
        return new LlamaGraphs((LlamaConfig) config);
    }
}
