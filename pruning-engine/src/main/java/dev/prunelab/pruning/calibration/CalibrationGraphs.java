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
import dev.prunelab.pruning.checkpoint.Unmapper;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 * Weights are float32; the graphs are returned serialised with their large weights beside them in direct buffers
 * ({@link CalibrationGraph}), for an in-memory ONNX Runtime session.
 */
public final class CalibrationGraphs {
    /** Output of both graphs: hidden states after the embedding or after the block. */
    public static final String HIDDEN_OUTPUT = "hidden_states_out";
    public static final String HIDDEN_INPUT = DecoderGraph.HIDDEN_STATES;

    private CalibrationGraphs() {
    }

    public static CalibrationGraph embedding(DecoderConfig config, TensorSource weights) {
        InitializerStore store = InitializerStore.inMemory(new WeightFormat(false, false));
        GraphBuilder g = new GraphBuilder("embedding", store);
        ModelFamily family = ModelFamilies.of(config);
        DecoderGraph d = new DecoderGraph(g, weights, family.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[0], 0);
        d.namedOutput(family.graphs(config).embed(d), HIDDEN_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS,
                "embedding_width");
        return serialise(g, store, false);
    }

    /** Output of the head graph: the next token's log-probabilities [B,S,vocab]. */
    public static final String LOG_PROBS_OUTPUT = "log_probs";

    /**
     * The model's head on hidden states: {@value #HIDDEN_INPUT} [B,S,hidden] through the final norm and the
     * logits to {@value #LOG_PROBS_OUTPUT} (a LogSoftmax over the vocabulary), for comparing a pruned model's
     * next-token distributions with the dense model's.
     */
    public static CalibrationGraph head(DecoderConfig config, TensorSource weights, int hiddenWidth) {
        InitializerStore store = InitializerStore.inMemory(new WeightFormat(false, false));
        GraphBuilder g = new GraphBuilder("head", store);
        ModelFamily family = ModelFamilies.of(config);
        DecoderGraph d = new DecoderGraph(g, weights, family.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[0], hiddenWidth);
        family.graphs(config).head(d, HIDDEN_INPUT);
        String logProbs = g.node("LogSoftmax", "/head/LogSoftmax", new String[] {DecoderIo.LOGITS},
                GraphBuilder.intAttribute("axis", -1));
        d.namedOutput(logProbs, LOG_PROBS_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, config.vocabSize());
        return serialise(g, store, false);
    }

    /** One decoder layer with its taps; no KV cache (a calibration pass runs each window once, whole). */
    public static CalibrationGraph block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth) {
        return block(config, weights, layer, hiddenWidth, true);
    }

    /**
     * One decoder layer with its taps and, with {@code withHiddenOutput}, its output hidden states; without, the
     * graph ends at the taps: the nodes and weights only the output needs (the last projection and the residual
     * add) are left out, so a statistics-only pass does not compute them.
     */
    public static CalibrationGraph block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth,
            boolean withHiddenOutput) {
        return block(config, weights, layer, hiddenWidth, withHiddenOutput, InitializerStore.IN_MEMORY_THRESHOLD_BYTES);
    }

    /** {@link #block(DecoderConfig, TensorSource, int, int, boolean)} holding weights from this size in buffers. */
    static CalibrationGraph block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth,
            boolean withHiddenOutput, long inMemoryThresholdBytes) {
        InitializerStore store = InitializerStore.inMemory(new WeightFormat(false, false), inMemoryThresholdBytes);
        GraphBuilder g = new GraphBuilder("block_" + layer, store);
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
        return serialise(g, store, !withHiddenOutput);
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

    /**
     * The graph serialised with the in-memory weights it declares; a graph cut at its taps drops the last
     * projection's, which are released here.
     */
    private static CalibrationGraph serialise(GraphBuilder g, InitializerStore store, boolean dropDeadNodes) {
        OnnxMl.GraphProto graph = dropDeadNodes ? withoutDeadNodes(g.build()) : g.build();
        Set<String> declared = new HashSet<>();
        for (OnnxMl.TensorProto initializer : graph.getInitializerList()) {
            declared.add(initializer.getName());
        }
        Map<String, InitializerStore.HeldTensor> kept = new LinkedHashMap<>();
        for (Map.Entry<String, InitializerStore.HeldTensor> weight : store.inMemoryData().entrySet()) {
            if (declared.contains(weight.getKey())) {
                kept.put(weight.getKey(), weight.getValue());
            } else {
                Unmapper.release(weight.getValue().bytes());
            }
        }
        byte[] model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(GraphBuilder.IR_VERSION)
                .setProducerName("prune-lab calibration")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(GraphBuilder.OPSET))
                .setGraph(graph)
                .build()
                .toByteArray();
        return new CalibrationGraph(model, kept);
    }
}
