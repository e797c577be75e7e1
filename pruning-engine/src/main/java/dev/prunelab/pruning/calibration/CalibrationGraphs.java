package dev.prunelab.pruning.calibration;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.InitializerStore;
import dev.prunelab.pruning.graph.WeightFormat;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Small ONNX graphs for calibrating a model block by block, built from the same family code as the exported
 * decoder, so calibration sees exactly the computation that is exported:
 * <ul>
 * <li>the embedding graph: {@code input_ids}, {@code position_ids} (and an all-ones {@code attention_mask}) to
 * {@value #HIDDEN_OUTPUT} [B,S,hidden];</li>
 * <li>one block graph per layer: {@value DecoderGraph#HIDDEN_STATES} [B,S,hidden] to {@value #HIDDEN_OUTPUT},
 * plus every {@link FamilyGraphs.Tap} (the inputs of the layer's linear modules) as outputs.</li>
 * </ul>
 * Weights are inline float32; the graphs are returned serialised, for an in-memory ONNX Runtime session.
 */
public final class CalibrationGraphs {
    /** Output of both graphs: hidden states after the embedding or after the block. */
    public static final String HIDDEN_OUTPUT = "hidden_states_out";
    public static final String HIDDEN_INPUT = DecoderGraph.HIDDEN_STATES;

    private CalibrationGraphs() {
    }

    public static byte[] embedding(DecoderConfig config, TensorSource weights) {
        GraphBuilder g = new GraphBuilder("embedding", new InitializerStore(new WeightFormat(false, false), null));
        ModelFamily family = ModelFamilies.of(config);
        DecoderGraph d = new DecoderGraph(g, weights, family.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[0], 0);
        d.namedOutput(family.graphs(config).embed(d), HIDDEN_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS,
                "embedding_width");
        return serialise(g);
    }

    /** One decoder layer with its taps; no KV cache (a calibration pass runs each window once, whole). */
    public static byte[] block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth) {
        return block(config, weights, layer, hiddenWidth, true);
    }

    /**
     * One decoder layer with its taps and, with {@code withHiddenOutput}, its output hidden states; without, the
     * graph ends at the taps: the nodes and weights only the output needs (the last projection and the residual
     * add) are left out, so a statistics-only pass does not compute them.
     */
    public static byte[] block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth,
            boolean withHiddenOutput) {
        GraphBuilder g = new GraphBuilder("block_" + layer, new InitializerStore(new WeightFormat(false, false), null));
        ModelFamily family = ModelFamilies.of(config);
        DecoderGraph d = new DecoderGraph(g, weights, family.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[0], hiddenWidth);
        FamilyGraphs.Taps taps = new FamilyGraphs.Taps();
        String out = family.graphs(config).layer(d, layer, HIDDEN_INPUT, taps);
        if (withHiddenOutput) {
            d.namedOutput(out, HIDDEN_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, hiddenWidth);
        }
        for (Map.Entry<FamilyGraphs.Tap, String> tap : taps.values().entrySet()) {
            d.namedOutput(tap.getValue(), tap.getKey().outputName(), DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS,
                    tap.getKey().outputName() + "_width");
        }
        return serialise(g, !withHiddenOutput);
    }

    /**
     * The graph without the nodes no output depends on, and without the initializers only they read. Nodes are
     * in topological order (GraphBuilder appends each after its inputs), so one backward sweep finds them.
     */
    static OnnxMl.GraphProto withoutDeadNodes(OnnxMl.GraphProto graph) {
        Set<String> needed = new HashSet<>();
        for (OnnxMl.ValueInfoProto output : graph.getOutputList()) {
            needed.add(output.getName());
        }
        boolean[] keep = new boolean[graph.getNodeCount()];
        for (int n = graph.getNodeCount() - 1; n >= 0; n--) {
            OnnxMl.NodeProto node = graph.getNode(n);
            for (String output : node.getOutputList()) {
                if (needed.contains(output)) {
                    keep[n] = true;
                    break;
                }
            }
            if (keep[n]) {
                needed.addAll(node.getInputList());
            }
        }
        OnnxMl.GraphProto.Builder pruned = graph.toBuilder().clearNode().clearInitializer();
        for (int n = 0; n < keep.length; n++) {
            if (keep[n]) {
                pruned.addNode(graph.getNode(n));
            }
        }
        for (OnnxMl.TensorProto initializer : graph.getInitializerList()) {
            if (needed.contains(initializer.getName())) {
                pruned.addInitializer(initializer);
            }
        }
        return pruned.build();
    }

    /** The width of the hidden states between blocks (OPT-350m's hidden size, not its embedding width). */
    public static int hiddenWidth(DecoderConfig config) {
        return config.hiddenSize();
    }

    private static byte[] serialise(GraphBuilder g) {
        return serialise(g, false);
    }

    private static byte[] serialise(GraphBuilder g, boolean dropDeadNodes) {
        OnnxMl.GraphProto graph = g.build();
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(GraphBuilder.IR_VERSION)
                .setProducerName("prune-lab calibration")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(GraphBuilder.OPSET))
                .setGraph(dropDeadNodes ? withoutDeadNodes(graph) : graph)
                .build()
                .toByteArray();
    }
}
