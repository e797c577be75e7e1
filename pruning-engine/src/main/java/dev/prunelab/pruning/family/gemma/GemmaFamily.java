package dev.prunelab.pruning.family.gemma;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor.Init;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.NamedFamily;
import dev.prunelab.pruning.family.llama.LlamaLayers;
import dev.prunelab.pruning.model.DecoderConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2 and Gemma 3's text model, as transformers' Gemma2Config/Gemma2ForCausalLM and
 * Gemma3TextConfig/Gemma3ForCausalLM define them. Absent fields take those classes' defaults; a field set to null
 * turns its feature off (final_logit_softcapping, attn_logit_softcapping, sliding_window), as in Python.
 * Refused, each with a message that names the field: a rope_type other than default or linear, a
 * hidden_activation other than gelu_pytorch_tanh, use_bidirectional_attention, a layer_types entry other than
 * sliding_attention or full_attention. Its config.json is read and written in {@link GemmaConfigJson}; here are
 * the weights' layout and the structured units.
 */
public final class GemmaFamily extends NamedFamily implements LlamaLayers {

    public GemmaFamily() {
        super("gemma", List.of(GemmaConfig.GEMMA2, GemmaConfig.GEMMA3_TEXT), 2, 1);
    }

    @Override
    public GemmaConfig readConfig(ConfigFields f, String modelType) {
        return GemmaConfigJson.read(f, modelType);
    }

    @Override
    public void writeConfig(DecoderConfig config, ObjectNode json) {
        GemmaConfigJson.write((GemmaConfig) config, json);
    }

    @Override
    public void checkLayout(DecoderConfig config, LayoutCheck check) {
        GemmaConfig c = (GemmaConfig) config;
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        check.embeddingNormAndHead(GemmaNames.EMBED, GemmaNames.FINAL_NORM, GemmaNames.LM_HEAD, c.vocabSize(), hidden,
                c.tieWordEmbeddings());
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String norm : List.of(GemmaNames.INPUT_NORM, GemmaNames.POST_ATTENTION_NORM,
                    GemmaNames.PRE_FEEDFORWARD_NORM, GemmaNames.POST_FEEDFORWARD_NORM)) {
                check.exact(GemmaNames.norm(layer, norm), hidden);
            }
            check.llamaStyleAttention(c, headDim, GemmaNames.attention(layer, ""), c.attentionBias(),
                    c.attentionBias(), c.qkNorm());
            check.gatedMlp(GemmaNames.mlp(layer, ""), hidden, c.intermediateSize(), false);
        }
    }

    @Override
    public List<CheckpointTensor> checkpointLayout(DecoderConfig config) {
        GemmaConfig c = (GemmaConfig) config;
        List<CheckpointTensor> t = new ArrayList<>();
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long mlp = c.intermediateSize();
        t.add(new CheckpointTensor(GemmaNames.EMBED, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                long rows = proj.equals("q_proj") ? q : proj.equals("o_proj") ? hidden : kv;
                long columns = proj.equals("o_proj") ? q : hidden;
                t.add(new CheckpointTensor(GemmaNames.attention(layer, proj + ".weight"), new long[] {rows, columns},
                        Init.WEIGHT));
                if (c.attentionBias()) {
                    t.add(new CheckpointTensor(GemmaNames.attention(layer, proj + ".bias"), new long[] {rows},
                            Init.BIAS));
                }
            }
            if (c.qkNorm()) {
                t.add(new CheckpointTensor(GemmaNames.attention(layer, "q_norm.weight"), new long[] {c.headDim()},
                        Init.NORM));
                t.add(new CheckpointTensor(GemmaNames.attention(layer, "k_norm.weight"), new long[] {c.headDim()},
                        Init.NORM));
            }
            t.add(new CheckpointTensor(GemmaNames.mlp(layer, "gate_proj.weight"), new long[] {mlp, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(GemmaNames.mlp(layer, "up_proj.weight"), new long[] {mlp, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(GemmaNames.mlp(layer, "down_proj.weight"), new long[] {hidden, mlp}, Init.WEIGHT));
            for (String norm : List.of(GemmaNames.INPUT_NORM, GemmaNames.POST_ATTENTION_NORM,
                    GemmaNames.PRE_FEEDFORWARD_NORM, GemmaNames.POST_FEEDFORWARD_NORM)) {
                t.add(new CheckpointTensor(GemmaNames.norm(layer, norm), new long[] {hidden}, Init.NORM));
            }
        }
        t.add(new CheckpointTensor(GemmaNames.FINAL_NORM, new long[] {hidden}, Init.NORM));
        if (!c.tieWordEmbeddings()) {
            t.add(new CheckpointTensor(GemmaNames.LM_HEAD, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        }
        return List.copyOf(t);
    }

    @Override
    public FamilyGraphs graphs(DecoderConfig config) {
        return new GemmaGraphs((GemmaConfig) config);
    }
}
