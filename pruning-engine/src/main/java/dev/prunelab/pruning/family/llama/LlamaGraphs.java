package dev.prunelab.pruning.family.llama;

import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.graph.AttentionOptions;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.Rotary;
import java.util.List;
import java.util.Map;

/**
 * Llama: x = embed(ids); per layer x += o(attn(rope(q,k), v)(rms(x))); x += down(silu(gate(h)) * up(h)),
 * h = rms(x); logits = lm_head(rms(x)). Qwen3 normalises q and k per head before the rotation; Phi-3 rotates only
 * the leading rotaryDim dimensions of each head; Mistral and Phi-3 attend within a sliding window.
 */
final class LlamaGraphs extends FamilyGraphs {
    private final LlamaConfig c;
    private Rotary rotary;

    LlamaGraphs(LlamaConfig config) {
        super(LlamaNames.EMBED);
        this.c = config;
    }

    @Override
    public String embed(DecoderGraph d) {
        return d.tableRows("/model/embed_tokens", embeddingTable(d), d.inputIds);
    }

    @Override
    public String layer(DecoderGraph d, int layer, String x, Taps taps) {
        GraphBuilder g = d.g;
        if (rotary == null) {
            rotary = new Rotary(g, d.positionIds, "model.rotary_emb", c.headDim(),
                    c.inverseFrequencies(), c.contextLength());
        }
        String path = "/model/layers." + layer;
        String normed = rmsNorm(d, path + "/input_layernorm", LlamaNames.inputNorm(layer), x, c.rmsNormEps());
        taps.record(Tap.ATTENTION_INPUT, normed);
        String q = d.linear(path + "/self_attn/q_proj", LlamaNames.attention(layer, "q_proj"), normed);
        String k = d.linear(path + "/self_attn/k_proj", LlamaNames.attention(layer, "k_proj"), normed);
        String v = d.linear(path + "/self_attn/v_proj", LlamaNames.attention(layer, "v_proj"), normed);
        int queryHeads = heads(d.info(LlamaNames.attention(layer, "q_proj") + ".weight").dimension(0), c.headDim(),
                LlamaNames.attention(layer, "q_proj"));
        int kvHeads = heads(d.info(LlamaNames.attention(layer, "k_proj") + ".weight").dimension(0), c.headDim(),
                LlamaNames.attention(layer, "k_proj"));
        if (c.qkNorm()) {
            q = headRmsNorm(d, path + "/self_attn/q_norm", LlamaNames.attention(layer, "q_norm.weight"), q, queryHeads,
                    c.headDim(), c.rmsNormEps());
            k = headRmsNorm(d, path + "/self_attn/k_norm", LlamaNames.attention(layer, "k_norm.weight"), k, kvHeads,
                    c.headDim(), c.rmsNormEps());
        }
        AttentionOptions options = new AttentionOptions(1.0 / Math.sqrt(c.headDim()), 0,
                c.effectiveSlidingWindow());
        String context = d.attention(path + "/self_attn", layer, q, k, v, queryHeads, kvHeads, c.headDim(), rotary,
                options);
        taps.record(Tap.ATTENTION_CONTEXT, context);
        String attended = d.linear(path + "/self_attn/o_proj", LlamaNames.attention(layer, "o_proj"), context);
        x = g.add(path + "/Add_attention_residual", x, attended);

        String h = rmsNorm(d, path + "/post_attention_layernorm", LlamaNames.postAttentionNorm(layer), x, c.rmsNormEps());
        taps.record(Tap.MLP_INPUT, h);
        String gate = d.linear(path + "/mlp/gate_proj", LlamaNames.mlp(layer, "gate_proj"), h);
        String silu = g.mul(path + "/mlp/act_fn/Mul", gate, g.unary("Sigmoid", path + "/mlp/act_fn/Sigmoid", gate));
        String up = d.linear(path + "/mlp/up_proj", LlamaNames.mlp(layer, "up_proj"), h);
        String product = g.mul(path + "/mlp/Mul", silu, up);
        taps.record(Tap.MLP_HIDDEN, product);
        String down = d.linear(path + "/mlp/down_proj", LlamaNames.mlp(layer, "down_proj"), product);
        return g.add(path + "/Add_mlp_residual", x, down);
    }

    @Override
    public void head(DecoderGraph d, String x) {
        String finalNorm = rmsNorm(d, "/model/norm", LlamaNames.FINAL_NORM, x, c.rmsNormEps());
        GraphBuilder.StoredMatrix head = c.tieWordEmbeddings() || !d.has(LlamaNames.LM_HEAD) ? embeddingTable(d)
                : d.table(LlamaNames.LM_HEAD);
        d.logitsOutput(finalNorm, head, c.hiddenSize(), c.vocabSize());
    }

    @Override
    public Map<String, Tap> linearInputs(int layer) {
        return linearInputs(LlamaNames.attention(layer, ""), List.of("q_proj", "k_proj", "v_proj"), "o_proj",
                LlamaNames.mlp(layer, ""), List.of("gate_proj", "up_proj"), "down_proj");
    }
}
