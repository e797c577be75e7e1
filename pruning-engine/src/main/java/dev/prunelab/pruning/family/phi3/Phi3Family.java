package dev.prunelab.pruning.family.phi3;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.CheckpointTensor.Init;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.NamedFamily;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaFamily;
import dev.prunelab.pruning.family.llama.LlamaLayers;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Phi-3 (transformers' modeling_phi3.py): Llama's block with its q/k/v projections fused into one
 * {@code self_attn.qkv_proj} and gate/up into one {@code mlp.gate_up_proj}, only the leading
 * {@code partial_rotary_factor} of each head rotated, and a sliding window over every layer. Its config is read as
 * a {@link LlamaConfig} (model_type "phi3"), and the fused matrices are presented as the Llama matrices they hold
 * ({@link #fromCheckpoint}), so every pruning method, the structured cuts (heads and MLP channels are row slices
 * of the fused matrices), the graph and the reports treat q, k, v, gate and up as the separate matrices they are;
 * {@link #toCheckpoint} fuses them back. LongRoPE ({@code rope_scaling} type longrope, or su/yarn as older
 * Phi-3 configs call it: Phi-3 128k, Phi-3.5, Phi-4-mini) is refused by name.
 */
public final class Phi3Family extends NamedFamily implements LlamaLayers {
    private final LlamaFamily llama = new LlamaFamily();

    /** Phi3Config's bos_token_id 1 and eos_token_id 32000 (&lt;|endoftext|&gt;). */
    public Phi3Family() {
        super("phi3", List.of("phi3"), 1, 32000);
    }

    @Override
    public LlamaConfig readConfig(ConfigFields fields, String modelType) {
        return llama.readConfig(fields, modelType);
    }

    @Override
    public void writeConfig(DecoderConfig config, ObjectNode json) {
        llama.writeConfig(config, json);
    }

    /** Llama's check, of the split matrices; the fused ones were checked against the config when they were split. */
    @Override
    public void checkLayout(DecoderConfig config, LayoutCheck check) {
        llama.checkLayout(config, check);
    }

    /** In modeling_phi3's declaration order: per layer o_proj, qkv_proj, gate_up_proj, down_proj, then the norms. */
    @Override
    public List<CheckpointTensor> checkpointLayout(DecoderConfig config) {
        LlamaConfig c = (LlamaConfig) config;
        long hidden = c.hiddenSize();
        long mlp = c.intermediateSize();
        List<CheckpointTensor> t = new ArrayList<>();
        t.add(new CheckpointTensor(LlamaNames.EMBED, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            t.add(new CheckpointTensor(LlamaNames.attention(layer, "o_proj.weight"),
                    new long[] {hidden, (long) c.numHeads() * c.headDim()}, Init.WEIGHT));
            t.add(new CheckpointTensor(Phi3Names.qkv(layer), new long[] {qkv(c).rows(), hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(Phi3Names.gateUp(layer), new long[] {2 * mlp, hidden}, Init.WEIGHT));
            t.add(new CheckpointTensor(LlamaNames.mlp(layer, "down_proj.weight"), new long[] {hidden, mlp}, Init.WEIGHT));
            t.add(new CheckpointTensor(LlamaNames.inputNorm(layer), new long[] {hidden}, Init.NORM));
            t.add(new CheckpointTensor(LlamaNames.postAttentionNorm(layer), new long[] {hidden}, Init.NORM));
        }
        t.add(new CheckpointTensor(LlamaNames.FINAL_NORM, new long[] {hidden}, Init.NORM));
        if (!c.tieWordEmbeddings()) {
            t.add(new CheckpointTensor(LlamaNames.LM_HEAD, new long[] {c.vocabSize(), hidden}, Init.WEIGHT));
        }
        return List.copyOf(t);
    }

    /** The fusions of every layer, with the rows config.json gives each part. */
    private static List<FusedMatrices.Fusion> fusions(LlamaConfig c) {
        List<FusedMatrices.Fusion> fusions = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            int layer = l;
            fusions.add(new FusedMatrices.Fusion(Phi3Names.qkv(layer), qkv(c).parts().stream()
                    .map(p -> new FusedMatrices.Part(LlamaNames.attention(layer, p.name()), p.rows(), p.fields()))
                    .toList()));
            String width = "intermediate_size " + c.intermediateSize();
            fusions.add(new FusedMatrices.Fusion(Phi3Names.gateUp(layer), List.of(
                    new FusedMatrices.Part(LlamaNames.mlp(layer, "gate_proj.weight"), c.intermediateSize(), width),
                    new FusedMatrices.Part(LlamaNames.mlp(layer, "up_proj.weight"), c.intermediateSize(), width))));
        }
        return fusions;
    }

    /** qkv_proj's parts with names relative to self_attn ("q_proj.weight"). */
    private static FusedMatrices.Fusion qkv(LlamaConfig c) {
        long headDim = c.headDim();
        String dim = " x head_dim " + headDim;
        return new FusedMatrices.Fusion("qkv_proj.weight", List.of(
                new FusedMatrices.Part("q_proj.weight", c.numHeads() * headDim, "num_attention_heads " + c.numHeads() + dim),
                new FusedMatrices.Part("k_proj.weight", c.numKvHeads() * headDim,
                        "num_key_value_heads " + c.numKvHeads() + dim),
                new FusedMatrices.Part("v_proj.weight", c.numKvHeads() * headDim,
                        "num_key_value_heads " + c.numKvHeads() + dim)));
    }

    /** qkv_proj and gate_up_proj as q_proj, k_proj, v_proj, gate_proj and up_proj (row slices). */
    @Override
    public TensorSource fromCheckpoint(DecoderConfig config, TensorSource checkpoint, Path source) {
        return FusedMatrices.split(checkpoint, fusions((LlamaConfig) config), config.hiddenSize(), source,
                config.modelType());
    }

    @Override
    public TensorSource toCheckpoint(DecoderConfig config, TensorSource tensors) {
        return FusedMatrices.fuse(tensors, fusions((LlamaConfig) config));
    }

    @Override
    public FamilyGraphs graphs(DecoderConfig config) {
        return llama.graphs(config);
    }
}
