package dev.prunelab.pruning.family.opt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor.Init;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.NamedFamily;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * OPT: learned positions offset by 2, LayerNorm (pre-LN, or post-LN as in OPT-350m), ReLU MLP, embeddings
 * optionally projected in and out of the hidden width, the LM head tied to the embeddings.
 */
public final class OptFamily extends NamedFamily {

    public OptFamily() {
        super("opt", List.of("opt"), 2, 2);
    }

    @Override
    public OptConfig readConfig(ConfigFields f, String modelType) {
        int hidden = f.requiredInt("hidden_size");
        return new OptConfig(
                f.requiredInt("vocab_size"),
                hidden,
                f.requiredInt("ffn_dim"),
                f.requiredInt("num_hidden_layers"),
                f.requiredInt("num_attention_heads"),
                f.requiredInt("max_position_embeddings"),
                f.optionalInt("word_embed_proj_dim", hidden),
                f.optionalBoolean("do_layer_norm_before", true),
                f.optionalBoolean("_remove_final_layer_norm", false),
                f.optionalBoolean("enable_bias", true),
                f.optionalString("activation_function", "relu"),
                1e-5); // OPT's config has no epsilon field; the model uses nn.LayerNorm's default
    }

    @Override
    public void writeConfig(DecoderConfig config, ObjectNode json) {
        OptConfig c = (OptConfig) config;
        json.putArray("architectures").add("OPTForCausalLM");
        json.put("model_type", "opt");
        json.put("vocab_size", c.vocabSize());
        json.put("hidden_size", c.hiddenSize());
        json.put("ffn_dim", c.ffnDim());
        json.put("num_hidden_layers", c.numLayers());
        json.put("num_attention_heads", c.numHeads());
        json.put("max_position_embeddings", c.contextLength());
        json.put("word_embed_proj_dim", c.wordEmbedProjDim());
        json.put("do_layer_norm_before", c.layerNormBefore());
        json.put("_remove_final_layer_norm", c.removeFinalLayerNorm());
        json.put("enable_bias", c.enableBias());
        json.put("layer_norm_elementwise_affine", true);
        json.put("activation_function", c.activation());
        json.put("tie_word_embeddings", true);
    }

    @Override
    public void checkLayout(DecoderConfig config, LayoutCheck check) {
        OptConfig c = (OptConfig) config;
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        long projected = c.wordEmbedProjDim();
        check.exact(OptNames.EMBED, c.vocabSize(), projected);
        check.exact(OptNames.POSITIONS, (long) c.contextLength() + OptConfig.POSITION_OFFSET, hidden);
        if (c.projectsEmbeddings()) {
            check.exact(OptNames.PROJECT_IN, hidden, projected);
            check.exact(OptNames.PROJECT_OUT, projected, hidden);
        }
        if (c.hasFinalLayerNorm()) {
            check.exact(OptNames.FINAL_NORM + "weight", hidden);
            check.exact(OptNames.FINAL_NORM + "bias", hidden);
        }
        if (check.present(OptNames.LM_HEAD)) {
            check.exact(OptNames.LM_HEAD, c.vocabSize(), projected);
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String norm : List.of("self_attn_layer_norm.", "final_layer_norm.")) {
                check.exact(OptNames.norm(layer, norm) + "weight", hidden);
                check.exact(OptNames.norm(layer, norm) + "bias", hidden);
            }
            String q = OptNames.attention(layer, "q_proj.");
            long width = check.rows(q + "weight", hidden, headDim, "head_dim");
            check.exact(OptNames.attention(layer, "k_proj.") + "weight", width, hidden);
            check.exact(OptNames.attention(layer, "v_proj.") + "weight", width, hidden);
            check.exact(OptNames.attention(layer, "out_proj.") + "weight", hidden, width);
            String fc1 = OptNames.mlp(layer, "fc1.");
            String fc2 = OptNames.mlp(layer, "fc2.");
            long ffn = check.rows(fc1 + "weight", hidden, 1, "1");
            check.exact(fc2 + "weight", hidden, ffn);
            if (c.enableBias()) {
                for (String proj : List.of("q_proj.", "k_proj.", "v_proj.")) {
                    check.exact(OptNames.attention(layer, proj) + "bias", width);
                }
                check.exact(OptNames.attention(layer, "out_proj.") + "bias", hidden);
                check.exact(fc1 + "bias", ffn);
                check.exact(fc2 + "bias", hidden);
            }
        }
    }

    @Override
    public List<CheckpointTensor> checkpointLayout(DecoderConfig config) {
        OptConfig c = (OptConfig) config;
        List<CheckpointTensor> t = new ArrayList<>();
        long hidden = c.hiddenSize();
        long ffn = c.ffnDim();
        t.add(new CheckpointTensor(OptNames.EMBED, new long[] {c.vocabSize(), c.wordEmbedProjDim()}, Init.WEIGHT));
        t.add(new CheckpointTensor(OptNames.POSITIONS,
                new long[] {(long) c.contextLength() + OptConfig.POSITION_OFFSET, hidden}, Init.WEIGHT));
        if (c.hasFinalLayerNorm()) {
            t.add(new CheckpointTensor(OptNames.FINAL_NORM + "weight", new long[] {hidden}, Init.NORM));
            t.add(new CheckpointTensor(OptNames.FINAL_NORM + "bias", new long[] {hidden}, Init.BIAS));
        }
        if (c.projectsEmbeddings()) {
            t.add(new CheckpointTensor(OptNames.PROJECT_OUT, new long[] {c.wordEmbedProjDim(), hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(OptNames.PROJECT_IN, new long[] {hidden, c.wordEmbedProjDim()}, Init.WEIGHT));
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                t.add(new CheckpointTensor(OptNames.attention(layer, proj + ".weight"), new long[] {hidden, hidden},
                        Init.WEIGHT));
                if (c.enableBias()) {
                    t.add(new CheckpointTensor(OptNames.attention(layer, proj + ".bias"), new long[] {hidden},
                            Init.BIAS));
                }
            }
            t.add(new CheckpointTensor(OptNames.norm(layer, "self_attn_layer_norm.weight"), new long[] {hidden},
                    Init.NORM));
            t.add(new CheckpointTensor(OptNames.norm(layer, "self_attn_layer_norm.bias"), new long[] {hidden},
                    Init.BIAS));
            t.add(new CheckpointTensor(OptNames.mlp(layer, "fc1.weight"), new long[] {ffn, hidden}, Init.WEIGHT));
            if (c.enableBias()) {
                t.add(new CheckpointTensor(OptNames.mlp(layer, "fc1.bias"), new long[] {ffn}, Init.BIAS));
            }
            t.add(new CheckpointTensor(OptNames.mlp(layer, "fc2.weight"), new long[] {hidden, ffn}, Init.WEIGHT));
            if (c.enableBias()) {
                t.add(new CheckpointTensor(OptNames.mlp(layer, "fc2.bias"), new long[] {hidden}, Init.BIAS));
            }
            t.add(new CheckpointTensor(OptNames.norm(layer, "final_layer_norm.weight"), new long[] {hidden},
                    Init.NORM));
            t.add(new CheckpointTensor(OptNames.norm(layer, "final_layer_norm.bias"), new long[] {hidden}, Init.BIAS));
        }
        return List.copyOf(t);
    }

    @Override
    public FamilyGraphs graphs(DecoderConfig config) {
        return new OptGraphs((OptConfig) config);
    }

    @Override
    public String layerPrefix() {
        return "model.decoder.layers.";
    }

    @Override
    public int kvHeads(DecoderConfig config, TensorSource weights, int layer) {
        return Units.outputHeads(config, weights, OptNames.attention(layer, "k_proj"));
    }

    @Override
    public Units mlpUnits(DecoderConfig config, TensorSource weights, int layer) {
        return Units.linearMlp(config, weights, layer, List.of(OptNames.mlp(layer, "fc1")), OptNames.mlp(layer, "fc2"));
    }

    @Override
    public Units headUnits(DecoderConfig config, TensorSource weights, int layer) {
        return Units.projectionHeads(config, weights, layer, OptNames.attention(layer, "q_proj"),
                OptNames.attention(layer, "k_proj"), OptNames.attention(layer, "v_proj"),
                OptNames.attention(layer, "out_proj"));
    }

    /** The LM head reads the (projected) embedding width; project_in/out add their own products. */
    @Override
    public long headMacs(DecoderConfig config, TensorSource weights) {
        OptConfig opt = (OptConfig) config;
        long macs = (long) opt.vocabSize() * opt.wordEmbedProjDim();
        if (opt.projectsEmbeddings()) {
            macs += weights.info(OptNames.PROJECT_IN).elementCount() + weights.info(OptNames.PROJECT_OUT).elementCount();
        }
        return macs;
    }
}
