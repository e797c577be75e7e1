package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.OptConfig;
import dev.prunelab.pruning.model.WeightNames.Gpt2;
import dev.prunelab.pruning.model.WeightNames.Llama;
import dev.prunelab.pruning.model.WeightNames.Opt;
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
        w.matrix(Llama.EMBED, c.vocabSize(), c.hiddenSize());
        for (int l = 0; l < c.numLayers(); l++) {
            w.vector(Llama.inputNorm(l), c.hiddenSize(), 1, 0.1);
            w.linear(Llama.attention(l, "q_proj"), q, c.hiddenSize(), c.attentionBias());
            w.linear(Llama.attention(l, "k_proj"), kv, c.hiddenSize(), c.attentionBias());
            w.linear(Llama.attention(l, "v_proj"), kv, c.hiddenSize(), c.attentionBias());
            w.linear(Llama.attention(l, "o_proj"), c.hiddenSize(), q, false);
            w.vector(Llama.postAttentionNorm(l), c.hiddenSize(), 1, 0.1);
            w.linear(Llama.mlp(l, "gate_proj"), c.intermediateSize(), c.hiddenSize(), c.mlpBias());
            w.linear(Llama.mlp(l, "up_proj"), c.intermediateSize(), c.hiddenSize(), c.mlpBias());
            w.linear(Llama.mlp(l, "down_proj"), c.hiddenSize(), c.intermediateSize(), c.mlpBias());
        }
        w.vector(Llama.FINAL_NORM, c.hiddenSize(), 1, 0.1);
        if (!c.tieWordEmbeddings()) {
            w.matrix(Llama.LM_HEAD, c.vocabSize(), c.hiddenSize());
        }
        return w.source;
    }

    /** Every tensor of {@code config}, including the final LayerNorm even where the config does not use it. */
    static MapTensorSource opt(OptConfig c, long seed) {
        RandomWeights w = new RandomWeights(seed);
        int h = c.hiddenSize();
        w.matrix(Opt.EMBED, c.vocabSize(), c.wordEmbedProjDim());
        w.matrix(Opt.POSITIONS, c.contextLength() + OptConfig.POSITION_OFFSET, h);
        if (c.projectsEmbeddings()) {
            w.matrix(Opt.PROJECT_IN, h, c.wordEmbedProjDim());
            w.matrix(Opt.PROJECT_OUT, c.wordEmbedProjDim(), h);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            w.layerNorm(Opt.norm(l, "self_attn_layer_norm."), h);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                w.linear(Opt.attention(l, proj), h, h, c.enableBias());
            }
            w.layerNorm(Opt.norm(l, "final_layer_norm."), h);
            w.linear(Opt.mlp(l, "fc1"), c.ffnDim(), h, c.enableBias());
            w.linear(Opt.mlp(l, "fc2"), h, c.ffnDim(), c.enableBias());
        }
        w.layerNorm(Opt.FINAL_NORM, h);
        return w.source;
    }

    /** Every tensor of {@code config}; Conv1D weights stored [in, out]. */
    static MapTensorSource gpt2(Gpt2Config c, long seed) {
        RandomWeights w = new RandomWeights(seed);
        int h = c.hiddenSize();
        w.matrix(Gpt2.EMBED, c.vocabSize(), h);
        w.matrix(Gpt2.POSITIONS, c.contextLength(), h);
        for (int l = 0; l < c.numLayers(); l++) {
            w.layerNorm(Gpt2.norm(l, "ln_1."), h);
            w.conv1d(Gpt2.attention(l, "c_attn"), h, 3 * h);
            w.conv1d(Gpt2.attention(l, "c_proj"), h, h);
            w.layerNorm(Gpt2.norm(l, "ln_2."), h);
            w.conv1d(Gpt2.mlp(l, "c_fc"), h, c.innerSize());
            w.conv1d(Gpt2.mlp(l, "c_proj"), c.innerSize(), h);
        }
        w.layerNorm(Gpt2.FINAL_NORM, h);
        return w.source;
    }
}
