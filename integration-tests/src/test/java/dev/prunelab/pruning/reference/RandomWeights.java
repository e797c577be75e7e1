package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.gpt2.Gpt2Names;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.family.opt.OptNames;
import java.util.Random;

/** Small random models of each family in a {@link MapTensorSource}, named and shaped as Hugging Face stores them. */
final class RandomWeights {
    private final Random random;
    private final MapTensorSource source = new MapTensorSource();

    private RandomWeights(long seed) {
        random = new Random(seed);
    }

    private void matrix(String name, int rows, int cols) {
        float[] values = new float[rows * cols];
        double std = 1.0 / Math.sqrt(cols);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        source.put(name, values, rows, cols);
    }

    private void vector(String name, int size, double mean, double std) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (mean + random.nextGaussian() * std);
        }
        source.put(name, values, size);
    }

    private void linear(String module, int out, int in, boolean bias) {
        matrix(module + ".weight", out, in);
        if (bias) {
            vector(module + ".bias", out, 0, 0.1);
        }
    }

    /** A GPT-2 Conv1D: weight [in, out], bias [out]. */
    private void conv1d(String module, int in, int out) {
        float[] values = new float[in * out];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() / Math.sqrt(in));
        }
        source.put(module + ".weight", values, in, out);
        vector(module + ".bias", out, 0, 0.1);
    }

    private void layerNorm(String prefix, int size) {
        vector(prefix + "weight", size, 1, 0.1);
        vector(prefix + "bias", size, 0, 0.1);
    }

    /** Every tensor of {@code config}; an untied lm_head when {@code tieWordEmbeddings} is false. */
    static MapTensorSource llama(LlamaConfig c, long seed) {
        RandomWeights w = new RandomWeights(seed);
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        w.matrix(LlamaNames.EMBED, c.vocabSize(), c.hiddenSize());
        for (int l = 0; l < c.numLayers(); l++) {
            w.vector(LlamaNames.inputNorm(l), c.hiddenSize(), 1, 0.1);
            w.linear(LlamaNames.attention(l, "q_proj"), q, c.hiddenSize(), c.attentionBias());
            w.linear(LlamaNames.attention(l, "k_proj"), kv, c.hiddenSize(), c.attentionBias());
            w.linear(LlamaNames.attention(l, "v_proj"), kv, c.hiddenSize(), c.attentionBias());
            w.linear(LlamaNames.attention(l, "o_proj"), c.hiddenSize(), q, false);
            if (c.qkNorm()) {
                w.vector(LlamaNames.attention(l, "q_norm.weight"), c.headDim(), 1, 0.1);
                w.vector(LlamaNames.attention(l, "k_norm.weight"), c.headDim(), 1, 0.1);
            }
            w.vector(LlamaNames.postAttentionNorm(l), c.hiddenSize(), 1, 0.1);
            w.linear(LlamaNames.mlp(l, "gate_proj"), c.intermediateSize(), c.hiddenSize(), c.mlpBias());
            w.linear(LlamaNames.mlp(l, "up_proj"), c.intermediateSize(), c.hiddenSize(), c.mlpBias());
            w.linear(LlamaNames.mlp(l, "down_proj"), c.hiddenSize(), c.intermediateSize(), c.mlpBias());
        }
        w.vector(LlamaNames.FINAL_NORM, c.hiddenSize(), 1, 0.1);
        if (!c.tieWordEmbeddings()) {
            w.matrix(LlamaNames.LM_HEAD, c.vocabSize(), c.hiddenSize());
        }
        return w.source;
    }

    /** A Phi-3 checkpoint: {@link #llama}'s tensors with q/k/v rows fused into qkv_proj and gate/up into gate_up_proj. */
    static MapTensorSource phi3(LlamaConfig c, long seed) {
        MapTensorSource w = llama(c, seed);
        for (int l = 0; l < c.numLayers(); l++) {
            fuseRows(w, LlamaNames.attention(l, "qkv_proj.weight"), LlamaNames.attention(l, "q_proj.weight"),
                    LlamaNames.attention(l, "k_proj.weight"), LlamaNames.attention(l, "v_proj.weight"));
            fuseRows(w, LlamaNames.mlp(l, "gate_up_proj.weight"), LlamaNames.mlp(l, "gate_proj.weight"),
                    LlamaNames.mlp(l, "up_proj.weight"));
        }
        return w;
    }

    private static void fuseRows(MapTensorSource w, String fused, String... parts) {
        long columns = w.info(parts[0]).dimension(1);
        float[][] values = new float[parts.length][];
        int length = 0;
        for (int i = 0; i < parts.length; i++) {
            values[i] = w.get(parts[i]);
            length += values[i].length;
            w.remove(parts[i]);
        }
        float[] all = new float[length];
        int offset = 0;
        for (float[] part : values) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        w.put(fused, all, length / columns, columns);
    }

    /** Every tensor of {@code config}, including the final LayerNorm even where the config does not use it. */
    static MapTensorSource opt(OptConfig c, long seed) {
        RandomWeights w = new RandomWeights(seed);
        int h = c.hiddenSize();
        w.matrix(OptNames.EMBED, c.vocabSize(), c.wordEmbedProjDim());
        w.matrix(OptNames.POSITIONS, c.contextLength() + OptConfig.POSITION_OFFSET, h);
        if (c.projectsEmbeddings()) {
            w.matrix(OptNames.PROJECT_IN, h, c.wordEmbedProjDim());
            w.matrix(OptNames.PROJECT_OUT, c.wordEmbedProjDim(), h);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            w.layerNorm(OptNames.norm(l, "self_attn_layer_norm."), h);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                w.linear(OptNames.attention(l, proj), h, h, c.enableBias());
            }
            w.layerNorm(OptNames.norm(l, "final_layer_norm."), h);
            w.linear(OptNames.mlp(l, "fc1"), c.ffnDim(), h, c.enableBias());
            w.linear(OptNames.mlp(l, "fc2"), h, c.ffnDim(), c.enableBias());
        }
        w.layerNorm(OptNames.FINAL_NORM, h);
        return w.source;
    }

    /** Every tensor of {@code config}; Conv1D weights stored [in, out]. */
    static MapTensorSource gpt2(Gpt2Config c, long seed) {
        RandomWeights w = new RandomWeights(seed);
        int h = c.hiddenSize();
        w.matrix(Gpt2Names.EMBED, c.vocabSize(), h);
        w.matrix(Gpt2Names.POSITIONS, c.contextLength(), h);
        for (int l = 0; l < c.numLayers(); l++) {
            w.layerNorm(Gpt2Names.norm(l, "ln_1."), h);
            w.conv1d(Gpt2Names.attention(l, "c_attn"), h, 3 * h);
            w.conv1d(Gpt2Names.attention(l, "c_proj"), h, h);
            w.layerNorm(Gpt2Names.norm(l, "ln_2."), h);
            w.conv1d(Gpt2Names.mlp(l, "c_fc"), h, c.innerSize());
            w.conv1d(Gpt2Names.mlp(l, "c_proj"), c.innerSize(), h);
        }
        w.layerNorm(Gpt2Names.FINAL_NORM, h);
        return w.source;
    }
}
