package dev.prunelab.pruning.family.gpt2;

import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import java.util.List;
import java.util.Map;

/**
 * GPT-2: x = wte(ids) + wpe(position_ids); per layer x += c_proj(attn(split(c_attn(ln_1(x)))));
 * x += mlp(ln_2(x)) with gelu; logits = ln_f(x) against the tied wte.
 */
final class Gpt2Graphs extends FamilyGraphs {
    private final Gpt2Config c;

    Gpt2Graphs(Gpt2Config config) {
        super(Gpt2Names.EMBED);
        this.c = config;
    }

    @Override
    public String embed(DecoderGraph d) {
        GraphBuilder g = d.g;
        return g.add("/transformer/Add_positions",
                d.tableRows("/transformer/wte", embeddingTable(d), d.inputIds),
                d.tableRows("/transformer/wpe", d.table(Gpt2Names.POSITIONS), d.positionIds));
    }

    @Override
    public String layer(DecoderGraph d, int layer, String x, Taps taps) {
        GraphBuilder g = d.g;
        String path = "/transformer/h." + layer;
        String a = layerNorm(d, path + "/ln_1", Gpt2Names.norm(layer, "ln_1."), x, c.layerNormEps());
        taps.record(Tap.ATTENTION_INPUT, a);
        String cAttn = Gpt2Names.attention(layer, "c_attn");
        long qkvWidth = d.info(cAttn + ".weight").dimension(1);
        if (qkvWidth % 3 != 0) {
            throw new IllegalArgumentException(cAttn + ": output width " + qkvWidth + " is not 3 x attention width");
        }
        long width = qkvWidth / 3;
        String qkv = d.conv1d(path + "/attn/c_attn", cAttn, a);
        String q = g.slice(path + "/attn/Slice_q", qkv, 0, width, 2);
        String k = g.slice(path + "/attn/Slice_k", qkv, width, 2 * width, 2);
        String v = g.slice(path + "/attn/Slice_v", qkv, 2 * width, 3 * width, 2);
        int heads = heads(width, c.headDim(), cAttn);
        String context = d.attention(path + "/attn", layer, q, k, v, heads, heads, c.headDim(), null);
        taps.record(Tap.ATTENTION_CONTEXT, context);
        x = g.add(path + "/Add_attention_residual", x,
                d.conv1d(path + "/attn/c_proj", Gpt2Names.attention(layer, "c_proj"), context));
        String m = layerNorm(d, path + "/ln_2", Gpt2Names.norm(layer, "ln_2."), x, c.layerNormEps());
        taps.record(Tap.MLP_INPUT, m);
        String fc = d.conv1d(path + "/mlp/c_fc", Gpt2Names.mlp(layer, "c_fc"), m);
        String activated = "gelu".equals(c.activation())
                ? geluErf(g, path + "/mlp/act", fc) : geluTanh(g, path + "/mlp/act", fc);
        taps.record(Tap.MLP_HIDDEN, activated);
        return g.add(path + "/Add_mlp_residual", x,
                d.conv1d(path + "/mlp/c_proj", Gpt2Names.mlp(layer, "c_proj"), activated));
    }

    @Override
    public void head(DecoderGraph d, String x) {
        String normed = layerNorm(d, "/transformer/ln_f", Gpt2Names.FINAL_NORM, x, c.layerNormEps());
        d.logitsOutput(normed, embeddingTable(d), c.hiddenSize(), c.vocabSize());
    }

    @Override
    public Map<String, Tap> linearInputs(int layer) {
        return linearInputs(Gpt2Names.attention(layer, ""), List.of("c_attn"), "c_proj", Gpt2Names.mlp(layer, ""),
                List.of("c_fc"), "c_proj");
    }

    @Override
    public boolean weightsStoredInputMajor() {
        return true;
    }

    /** Exact gelu: 0.5 x (1 + erf(x / sqrt 2)). */
    static String geluErf(GraphBuilder g, String path, String x) {
        String erf = g.unary("Erf", path + "/Erf",
                g.mul(path + "/Mul_scale", x, g.scalar(path + "/scale", (float) (1.0 / Math.sqrt(2.0)))));
        return g.mul(path + "/Mul_output", g.mul(path + "/Mul_half", x, g.scalar(path + "/half", 0.5f)),
                g.add(path + "/Add_one", erf, g.scalar(path + "/one", 1.0f)));
    }
}
