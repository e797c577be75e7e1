package dev.prunelab.pruning.export;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.EnumMap;
import java.util.Map;

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
        InitializerStore store = new InitializerStore(new WeightFormat(false, false), null);
        GraphBuilder g = new GraphBuilder("embedding", store);
        DecoderGraph d = new DecoderGraph(g, weights, FamilyGraphs.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[0], 0);
        FamilyGraphs family = FamilyGraphs.of(config);
        d.namedOutput(family.embed(d), HIDDEN_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS,
                "embedding_width");
        return serialise(g);
    }

    /** One decoder layer with its taps; inputs also include an (empty) past for this layer. */
    public static byte[] block(DecoderConfig config, TensorSource weights, int layer, int hiddenWidth) {
        InitializerStore store = new InitializerStore(new WeightFormat(false, false), null);
        GraphBuilder g = new GraphBuilder("block_" + layer, store);
        DecoderGraph d = new DecoderGraph(g, weights, FamilyGraphs.kvHeadsPerLayer(config, weights), config.headDim(),
                new int[] {layer}, hiddenWidth);
        FamilyGraphs family = FamilyGraphs.of(config);
        FamilyGraphs.Taps taps = new FamilyGraphs.Taps();
        String out = family.layer(d, layer, HIDDEN_INPUT, taps);
        d.namedOutput(out, HIDDEN_OUTPUT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, hiddenWidth);
        for (Map.Entry<FamilyGraphs.Tap, String> tap : taps.values.entrySet()) {
            d.namedOutput(tap.getValue(), tap.getKey().outputName(), DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS,
                    tap.getKey().outputName() + "_width");
        }
        return serialise(g);
    }

    /** The width of the hidden states between blocks (OPT-350m's hidden size, not its embedding width). */
    public static int hiddenWidth(DecoderConfig config) {
        return config.hiddenSize();
    }

    static Map<FamilyGraphs.Tap, String> tapOutputs() {
        Map<FamilyGraphs.Tap, String> names = new EnumMap<>(FamilyGraphs.Tap.class);
        for (FamilyGraphs.Tap tap : FamilyGraphs.Tap.values()) {
            names.put(tap, tap.outputName());
        }
        return names;
    }

    private static byte[] serialise(GraphBuilder g) {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("prune-lab calibration")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(DecoderExporter.OPSET))
                .setGraph(g.build())
                .build()
                .toByteArray();
    }
}
