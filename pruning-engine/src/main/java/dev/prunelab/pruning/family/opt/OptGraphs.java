package dev.prunelab.pruning.family.opt;

import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import java.util.List;
import java.util.Map;

/**
 * OPT: x = embed(ids) [project_in] + positions(position_ids + 2); pre-LN blocks
 * (x += attn(ln(x)); x += fc2(relu(fc1(ln(x))))) or post-LN blocks (x = ln(x + attn(x)); x = ln(x + mlp(x)));
 * [final_layer_norm] [project_out]; logits against the tied embeddings.
 */
final class OptGraphs extends FamilyGraphs {
    private final OptConfig c;

    OptGraphs(OptConfig config) {
        super(OptNames.EMBED);
        this.c = config;
    }

    @Override
    public String embed(DecoderGraph d) {
        GraphBuilder g = d.g;
        String x = d.tableRows("/model/decoder/embed_tokens", embeddingTable(d), d.inputIds);
        if (c.projectsEmbeddings()) {
            x = d.linear("/model/decoder/project_in", OptNames.PROJECT_IN.replace(".weight", ""), x);
        }
        String shifted = g.add("/model/decoder/embed_positions/Add_offset", d.positionIds,
                g.int64Scalar(OptConfig.POSITION_OFFSET));
        String positions = d.tableRows("/model/decoder/embed_positions", d.table(OptNames.POSITIONS), shifted);
        return g.add("/model/decoder/Add_positions", x, positions);
    }

    @Override
    public String layer(DecoderGraph d, int layer, String x, Taps taps) {
        GraphBuilder g = d.g;
        String path = "/model/decoder/layers." + layer;
        String attnNorm = OptNames.norm(layer, "self_attn_layer_norm.");
        String mlpNorm = OptNames.norm(layer, "final_layer_norm.");
        String attentionInput = c.layerNormBefore()
                ? layerNorm(d, path + "/self_attn_layer_norm", attnNorm, x, c.layerNormEps()) : x;
        taps.record(Tap.ATTENTION_INPUT, attentionInput);
        String q = d.linear(path + "/self_attn/q_proj", OptNames.attention(layer, "q_proj"), attentionInput);
        String k = d.linear(path + "/self_attn/k_proj", OptNames.attention(layer, "k_proj"), attentionInput);
        String v = d.linear(path + "/self_attn/v_proj", OptNames.attention(layer, "v_proj"), attentionInput);
        int heads = heads(d.info(OptNames.attention(layer, "q_proj") + ".weight").dimension(0), c.headDim(),
                OptNames.attention(layer, "q_proj"));
        String context = d.attention(path + "/self_attn", layer, q, k, v, heads, heads, c.headDim(), null);
        taps.record(Tap.ATTENTION_CONTEXT, context);
        String attended = d.linear(path + "/self_attn/out_proj", OptNames.attention(layer, "out_proj"), context);
        x = g.add(path + "/Add_attention_residual", x, attended);
        if (!c.layerNormBefore()) {
            x = layerNorm(d, path + "/self_attn_layer_norm", attnNorm, x, c.layerNormEps());
        }
        String mlpInput = c.layerNormBefore()
                ? layerNorm(d, path + "/final_layer_norm", mlpNorm, x, c.layerNormEps()) : x;
        taps.record(Tap.MLP_INPUT, mlpInput);
        String fc1 = d.linear(path + "/fc1", OptNames.mlp(layer, "fc1"), mlpInput);
        String relu = g.unary("Relu", path + "/activation_fn/Relu", fc1);
        taps.record(Tap.MLP_HIDDEN, relu);
        String fc2 = d.linear(path + "/fc2", OptNames.mlp(layer, "fc2"), relu);
        x = g.add(path + "/Add_mlp_residual", x, fc2);
        if (!c.layerNormBefore()) {
            x = layerNorm(d, path + "/final_layer_norm", mlpNorm, x, c.layerNormEps());
        }
        return x;
    }

    @Override
    public void head(DecoderGraph d, String x) {
        if (c.hasFinalLayerNorm()) {
            x = layerNorm(d, "/model/decoder/final_layer_norm", OptNames.FINAL_NORM, x, c.layerNormEps());
        }
        if (c.projectsEmbeddings()) {
            x = d.linear("/model/decoder/project_out", OptNames.PROJECT_OUT.replace(".weight", ""), x);
        }
        d.logitsOutput(x, embeddingTable(d), c.wordEmbedProjDim(), c.vocabSize());
    }

    @Override
    public Map<String, Tap> linearInputs(int layer) {
        return linearInputs(OptNames.attention(layer, ""), List.of("q_proj", "k_proj", "v_proj"), "out_proj",
                OptNames.mlp(layer, ""), List.of("fc1"), "fc2");
    }
}
