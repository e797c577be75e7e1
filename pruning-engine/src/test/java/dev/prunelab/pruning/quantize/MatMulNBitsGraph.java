package dev.prunelab.pruning.quantize;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.InitializerStore;
import dev.prunelab.pruning.graph.WeightFormat;

/**
 * The graph the MatMulNBits tests run in ONNX Runtime: x [m, k] through the int4 node ({@code y_int4}) and, beside
 * it, through a float MatMul of the weights the test expects the node to hold ({@code y_float}).
 */
final class MatMulNBitsGraph {

    private MatMulNBitsGraph() {
    }

    /**
     * @param q                the blocks: B, scales and, when {@code withZeroPoints}, their zero points
     * @param floatWeightInOut the reference weights [k, n] (input-major, as MatMul takes them)
     */
    static byte[] model(BlockQuantizer.Quantized q, int m, int n, boolean withZeroPoints, int accuracyLevel,
            float[] floatWeightInOut) {
        int k = q.k();
        InitializerStore store = new InitializerStore(new WeightFormat(false, false), null);
        GraphBuilder g = new GraphBuilder("test", store);
        g.input("x", OnnxMl.TensorProto.DataType.FLOAT, m, k);
        g.addInitializer(store.packedWeight("B", q.packed(), (long) n * k, 0, n, q.blocksPerRow(), q.blobBytes()));
        g.addInitializer(store.float32("scales", q.scales(), q.scales().length));
        String[] inputs = {"x", "B", "scales"};
        if (withZeroPoints) {
            g.addInitializer(store.packedWeight("zero_points", q.zeroPoints(), 0, 0, q.zeroPoints().length));
            inputs = new String[] {"x", "B", "scales", "zero_points"};
        }
        String quantized = g.contribNode("MatMulNBits", "/q/MatMulNBits", inputs,
                GraphBuilder.intAttribute("K", k), GraphBuilder.intAttribute("N", n),
                GraphBuilder.intAttribute("bits", 4), GraphBuilder.intAttribute("block_size", q.blockSize()),
                GraphBuilder.intAttribute("accuracy_level", accuracyLevel));
        g.nodeTo("Identity", "/out/q", new String[] {quantized}, new String[] {"y_int4"});
        g.output("y_int4", OnnxMl.TensorProto.DataType.FLOAT, m, n);
        String reference = g.matMul("/f/MatMul", "x", g.floatConstant("W", floatWeightInOut, k, n));
        g.nodeTo("Identity", "/out/f", new String[] {reference}, new String[] {"y_float"});
        g.output("y_float", OnnxMl.TensorProto.DataType.FLOAT, m, n);
        return OnnxMl.ModelProto.newBuilder().setIrVersion(GraphBuilder.IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(GraphBuilder.OPSET))
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain(GraphBuilder.CONTRIB_DOMAIN)
                        .setVersion(1))
                .setGraph(g.build()).build().toByteArray();
    }
}
