package dev.prunelab.pruning.family.gpt2;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor.Init;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.NamedFamily;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2: learned positions, pre-LN, GELU MLP, and Conv1D weights stored [in, out] (the transpose of a Linear's),
 * with q, k and v fused side by side in c_attn's columns; the LM head is tied to the token embeddings.
 */
public final class Gpt2Family extends NamedFamily {

    public Gpt2Family() {
        super("gpt2", List.of("gpt2"), 50256, 50256);
    }

    @Override
    public Gpt2Config readConfig(ConfigFields f, String modelType) {
        if (f.optionalBoolean("scale_attn_by_inverse_layer_idx", false)) {
            throw f.invalid("field 'scale_attn_by_inverse_layer_idx': true is not supported");
        }
        if (!f.optionalBoolean("scale_attn_weights", true)) {
            throw f.invalid("field 'scale_attn_weights': false is not supported");
        }
        int hidden = f.requiredInt("n_embd");
        int inner = f.has("n_inner") ? f.requiredInt("n_inner") : Math.multiplyExact(4, hidden);
        return new Gpt2Config(
                f.requiredInt("vocab_size"),
                hidden,
                inner,
                f.requiredInt("n_layer"),
                f.requiredInt("n_head"),
                f.requiredInt("n_positions"),
                f.optionalDouble("layer_norm_epsilon", 1e-5),
                f.optionalString("activation_function", "gelu_new"));
    }

    @Override
    public void writeConfig(DecoderConfig config, ObjectNode json) {
        Gpt2Config c = (Gpt2Config) config;
        json.putArray("architectures").add("GPT2LMHeadModel");
        json.put("model_type", "gpt2");
        json.put("vocab_size", c.vocabSize());
        json.put("n_embd", c.hiddenSize());
        json.put("n_layer", c.numLayers());
        json.put("n_head", c.numHeads());
        json.put("n_positions", c.contextLength());
        json.put("n_ctx", c.contextLength());
        json.put("n_inner", c.innerSize());
        json.put("layer_norm_epsilon", c.layerNormEps());
        json.put("activation_function", c.activation());
        json.put("scale_attn_weights", true);
        json.put("scale_attn_by_inverse_layer_idx", false);
        json.put("tie_word_embeddings", true);
    }

    @Override
    public void checkLayout(DecoderConfig config, LayoutCheck check) {
        Gpt2Config c = (Gpt2Config) config;
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        check.exact(Gpt2Names.EMBED, c.vocabSize(), hidden);
        check.exact(Gpt2Names.POSITIONS, c.contextLength(), hidden);
        check.exact(Gpt2Names.FINAL_NORM + "weight", hidden);
        check.exact(Gpt2Names.FINAL_NORM + "bias", hidden);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String norm : List.of("ln_1.", "ln_2.")) {
                check.exact(Gpt2Names.norm(layer, norm) + "weight", hidden);
                check.exact(Gpt2Names.norm(layer, norm) + "bias", hidden);
            }
            // Conv1D weights are [in, out]: c_attn's columns are q, k and v side by side.
            String cAttn = Gpt2Names.attention(layer, "c_attn.");
            long qkv = check.columns(cAttn + "weight", hidden, 3 * headDim, "3 * head_dim");
            long width = qkv / 3;
            check.exact(cAttn + "bias", qkv);
            String attnProj = Gpt2Names.attention(layer, "c_proj.");
            check.exact(attnProj + "weight", width, hidden);
            check.exact(attnProj + "bias", hidden);
            String cFc = Gpt2Names.mlp(layer, "c_fc.");
            String mlpProj = Gpt2Names.mlp(layer, "c_proj.");
            long inner = check.columns(cFc + "weight", hidden, 1, "1");
            check.exact(cFc + "bias", inner);
            check.exact(mlpProj + "weight", inner, hidden);
            check.exact(mlpProj + "bias", hidden);
        }
    }

    @Override
    public List<CheckpointTensor> checkpointLayout(DecoderConfig config) {
        Gpt2Config c = (Gpt2Config) config;
        List<CheckpointTensor> t = new ArrayList<>();
        long hidden = c.hiddenSize();
        long inner = c.innerSize();
        t.add(new CheckpointTensor(Gpt2Names.EMBED, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        t.add(new CheckpointTensor(Gpt2Names.POSITIONS, new long[] {c.contextLength(), hidden}, Init.WEIGHT));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            t.add(new CheckpointTensor(Gpt2Names.norm(layer, "ln_1.weight"), new long[] {hidden}, Init.NORM));
            t.add(new CheckpointTensor(Gpt2Names.norm(layer, "ln_1.bias"), new long[] {hidden}, Init.BIAS));
            t.add(new CheckpointTensor(Gpt2Names.attention(layer, "c_attn.weight"), new long[] {hidden, 3 * hidden},
                    Init.WEIGHT));
            t.add(new CheckpointTensor(Gpt2Names.attention(layer, "c_attn.bias"), new long[] {3 * hidden}, Init.BIAS));
            t.add(new CheckpointTensor(Gpt2Names.attention(layer, "c_proj.weight"), new long[] {hidden, hidden},
                    Init.WEIGHT));
            t.add(new CheckpointTensor(Gpt2Names.attention(layer, "c_proj.bias"), new long[] {hidden}, Init.BIAS));
            t.add(new CheckpointTensor(Gpt2Names.norm(layer, "ln_2.weight"), new long[] {hidden}, Init.NORM));
            t.add(new CheckpointTensor(Gpt2Names.norm(layer, "ln_2.bias"), new long[] {hidden}, Init.BIAS));
            t.add(new CheckpointTensor(Gpt2Names.mlp(layer, "c_fc.weight"), new long[] {hidden, inner}, Init.WEIGHT));
            t.add(new CheckpointTensor(Gpt2Names.mlp(layer, "c_fc.bias"), new long[] {inner}, Init.BIAS));
            t.add(new CheckpointTensor(Gpt2Names.mlp(layer, "c_proj.weight"), new long[] {inner, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(Gpt2Names.mlp(layer, "c_proj.bias"), new long[] {hidden}, Init.BIAS));
        }
        t.add(new CheckpointTensor(Gpt2Names.FINAL_NORM + "weight", new long[] {hidden}, Init.NORM));
        t.add(new CheckpointTensor(Gpt2Names.FINAL_NORM + "bias", new long[] {hidden}, Init.BIAS));
        return List.copyOf(t);
    }

    @Override
    public FamilyGraphs graphs(DecoderConfig config) {
        return new Gpt2Graphs((Gpt2Config) config);
    }

    @Override
    public String layerPrefix() {
        return "transformer.h.";
    }

    /** c_attn is [in, q|k|v]: a third of its columns are keys. */
    @Override
    public int kvHeads(DecoderConfig config, TensorSource weights, int layer) {
        String cAttn = Gpt2Names.attention(layer, "c_attn");
        return FamilyGraphs.heads(weights.info(cAttn + ".weight").dimension(1) / 3, config.headDim(), cAttn);
    }

    @Override
    public Units mlpUnits(DecoderConfig config, TensorSource weights, int layer) {
        String fc = Gpt2Names.mlp(layer, "c_fc");
        String proj = Gpt2Names.mlp(layer, "c_proj");
        int width = (int) weights.info(fc + ".weight").dimension(1);
        List<Units.Slice> slices = new ArrayList<>();
        slices.add(new Units.Slice(fc + ".weight", 1, 0, 1, 0, Tap.MLP_INPUT));
        Units.bias(slices, weights, fc + ".bias", 0, 1);
        Units.Slice output = new Units.Slice(proj + ".weight", 0, 0, 1, 0, Tap.MLP_HIDDEN);
        slices.add(output);
        return new Units(Units.Kind.MLP, layer, width, 1, slices, output, proj + ".bias", config.hiddenSize(),
                Tap.MLP_HIDDEN);
    }

    /** c_attn [hidden, q|k|v]: each head owns columns at offsets 0, W and 2W; c_proj's rows read the heads. */
    @Override
    public Units headUnits(DecoderConfig config, TensorSource weights, int layer) {
        int headDim = config.headDim();
        String attn = Gpt2Names.attention(layer, "c_attn");
        String proj = Gpt2Names.attention(layer, "c_proj");
        int width = (int) weights.info(attn + ".weight").dimension(1) / 3;
        List<Units.Slice> slices = new ArrayList<>();
        for (int part = 0; part < 3; part++) {
            slices.add(new Units.Slice(attn + ".weight", 1, part * width, headDim, 0, Tap.ATTENTION_INPUT));
            Units.bias(slices, weights, attn + ".bias", part * width, headDim);
        }
        Units.Slice output = new Units.Slice(proj + ".weight", 0, 0, headDim, 0, Tap.ATTENTION_CONTEXT);
        slices.add(output);
        return new Units(Units.Kind.HEADS, layer, width / headDim, 1, slices, output, proj + ".bias",
                config.hiddenSize(), Tap.ATTENTION_CONTEXT);
    }

    @Override
    public long headMacs(DecoderConfig config, TensorSource weights) {
        return (long) config.vocabSize() * config.hiddenSize();
    }
}
