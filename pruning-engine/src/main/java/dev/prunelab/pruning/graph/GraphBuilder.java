package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A thin builder over the ONNX protobuf graph: one method per operator the decoders use, each taking the
 * node's name (the module path, e.g. {@code /model/layers.3/mlp/down_proj/MatMul}) and returning the name
 * of its output ({@code <node name>_output_0}), so graph code reads like the model's forward pass.
 */
public final class GraphBuilder {
    /**
     * The ONNX opset and IR version of the graphs the lab runs itself (calibration, the in-place decoder):
     * RMSNormalization, RotaryEmbedding, Attention one node each (opset 23); TensorScatter (24).
     */
    public static final int OPSET = 24;
    public static final int IR_VERSION = 11;
    /** The first opset with RMSNormalization, RotaryEmbedding and Attention; below it they are written out. */
    public static final int FUSED_OPS_OPSET = 23;
    static final float MASKED_SCORE = -3.4028234663852886e38f; // float32 lowest: a fully masked row stays finite

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final InitializerStore initializers;
    private final Map<String, String> int64Constants = new HashMap<>();
    private final Map<String, String> floatViews = new HashMap<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final int opset;

    public GraphBuilder(String name, InitializerStore initializers) {
        this(name, initializers, OPSET);
    }

    /** @param opset the default-domain opset the graph will import: it decides which operators may be used */
    public GraphBuilder(String name, InitializerStore initializers, int opset) {
        this.initializers = initializers;
        this.opset = opset;
        graph.setName(name);
    }

    public int opset() {
        return opset;
    }

    /** Whether RMSNormalization, RotaryEmbedding and Attention exist as single operators at this opset. */
    public boolean hasFusedOps() {
        return opset >= FUSED_OPS_OPSET;
    }

    public InitializerStore initializers() {
        return initializers;
    }

    public OnnxMl.GraphProto build() {
        return graph.build();
    }

    public void addInitializer(OnnxMl.TensorProto tensor) {
        graph.addInitializer(tensor);
    }

    /**
     * A matrix initializer as stored: float32, or float16 whose float32 view ({@link #floatView}) is made only where
     * an operator needs float32 weights, so that a Gather can read the float16 rows it needs instead.
     */
    public record StoredMatrix(String name, boolean half, long rows, long columns) {
        /** Its bytes in float32, what a Cast of the whole matrix produces. */
        public long floatBytes() {
            return rows * columns * Float.BYTES;
        }
    }

    /** Adds a matrix initializer of the store's dtype, streamed from the source when large, with no Cast yet. */
    public StoredMatrix storedMatrix(String name, TensorSource source, long rows, long columns) {
        OnnxMl.TensorProto tensor = initializers.weight(name, source, rows, columns);
        graph.addInitializer(tensor);
        return new StoredMatrix(name, tensor.getDataType() == OnnxMl.TensorProto.DataType.FLOAT16_VALUE, rows,
                columns);
    }

    /** The matrix in float32: itself, or one Cast of the float16 initializer shared by all its float32 readers. */
    public String floatView(StoredMatrix matrix) {
        return matrix.half() ? floatViews.computeIfAbsent(matrix.name(), this::castToFloat) : matrix.name();
    }

    private String castToFloat(String name) {
        return node("Cast", name + "/Cast", new String[] {name}, intAttribute("to",
                OnnxMl.TensorProto.DataType.FLOAT_VALUE));
    }

    /** Adds a weight initializer; float16 weights get a Cast to float32 right after them. */
    public String weight(String name, float[] values, long... shape) {
        return weighted(name, initializers.weight(name, values, shape));
    }

    /** A weight stored transposed ({@link InitializerStore#transposedWeight}), with its float32 view. */
    public String transposedWeight(String name, float[] matrix, int rows, int cols) {
        return weighted(name, initializers.transposedWeight(name, matrix, rows, cols));
    }

    /** {@link #weight(String, float[], long...)} of a source's tensor, streamed when it is large. */
    public String weight(String name, TensorSource source, long... shape) {
        return weighted(name, initializers.weight(name, source, shape));
    }

    private String weighted(String name, OnnxMl.TensorProto tensor) {
        graph.addInitializer(tensor);
        return tensor.getDataType() == OnnxMl.TensorProto.DataType.FLOAT16_VALUE ? castToFloat(name) : name;
    }

    /** A float32 initializer that is not a model parameter, inline in the graph (InitializerStore#inlineFloat32). */
    public String floatConstant(String name, float[] values, long... shape) {
        graph.addInitializer(InitializerStore.inlineFloat32(name, values, shape));
        return name;
    }

    /** An int64 constant, shared by value. */
    public String int64(long... values) {
        String key = Arrays.toString(values);
        return int64Constants.computeIfAbsent(key, k -> {
            String name = "/model/constants/INT64_" + k.replace(" ", "");
            graph.addInitializer(InitializerStore.int64(name, values, values.length));
            return name;
        });
    }

    /** A scalar (rank 0) int64 constant, for Gather indices and Range bounds. */
    public String int64Scalar(long value) {
        return int64Constants.computeIfAbsent("scalar" + value, k -> {
            String name = "/model/constants/INT64_" + value;
            graph.addInitializer(InitializerStore.int64(name, new long[] {value}));
            return name;
        });
    }

    /** A scalar float32 constant. */
    public String scalar(String name, float value) {
        graph.addInitializer(initializers.float32(name, new float[] {value}));
        return name;
    }

    public void input(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(name, type, dims));
    }

    public void output(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    /** Adds a node whose single output is {@code <name>_output_0}. */
    public String node(String opType, String name, String[] inputs, OnnxMl.AttributeProto... attributes) {
        String output = name + "_output_0";
        nodeTo(opType, name, inputs, new String[] {output}, attributes);
        return output;
    }

    /** Adds a node writing to the given output names (graph outputs keep their contract names). */
    public void nodeTo(String opType, String name, String[] inputs, String[] outputs, OnnxMl.AttributeProto... attributes) {
        if (!nodeNames.add(name)) {
            throw new IllegalStateException("duplicate node name " + name);
        }
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder().setOpType(opType).setName(name);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (String output : outputs) {
            node.addOutput(output);
        }
        for (OnnxMl.AttributeProto attribute : attributes) {
            node.addAttribute(attribute);
        }
        graph.addNode(node);
    }

    /** The domain of ONNX Runtime's contrib operators (MatMulNBits). */
    public static final String CONTRIB_DOMAIN = "com.microsoft";

    /** Adds a node of ONNX Runtime's {@value #CONTRIB_DOMAIN} domain; its single output is {@code <name>_output_0}. */
    public String contribNode(String opType, String name, String[] inputs, OnnxMl.AttributeProto... attributes) {
        String output = name + "_output_0";
        nodeTo(opType, name, inputs, new String[] {output}, attributes);
        int last = graph.getNodeCount() - 1;
        graph.setNode(last, graph.getNode(last).toBuilder().setDomain(CONTRIB_DOMAIN));
        return output;
    }

    // ---- operators -------------------------------------------------------------------------------------

    public String matMul(String name, String a, String b) {
        return node("MatMul", name, new String[] {a, b});
    }

    public String add(String name, String a, String b) {
        return node("Add", name, new String[] {a, b});
    }

    public String sub(String name, String a, String b) {
        return node("Sub", name, new String[] {a, b});
    }

    public String mul(String name, String a, String b) {
        return node("Mul", name, new String[] {a, b});
    }

    public String unary(String opType, String name, String x) {
        return node(opType, name, new String[] {x});
    }

    public String reshape(String name, String x, long... shape) {
        return node("Reshape", name, new String[] {x, int64(shape)});
    }

    public String concat(String name, long axis, String... inputs) {
        return node("Concat", name, inputs, intAttribute("axis", axis));
    }

    public String unsqueeze(String name, String x, long... axes) {
        return node("Unsqueeze", name, new String[] {x, int64(axes)});
    }

    public String slice(String name, String x, long start, long end, long axis) {
        return node("Slice", name, new String[] {x, int64(start), int64(end), int64(axis)});
    }

    public String gather(String name, String data, String indices, long axis) {
        return node("Gather", name, new String[] {data, indices}, intAttribute("axis", axis));
    }

    public String cast(String name, String x, OnnxMl.TensorProto.DataType to) {
        return node("Cast", name, new String[] {x}, intAttribute("to", to.getNumber()));
    }

    public String layerNorm(String name, String x, String scale, String bias, double epsilon) {
        return node("LayerNormalization", name, new String[] {x, scale, bias}, intAttribute("axis", -1),
                floatAttribute("epsilon", (float) epsilon));
    }

    public String gemmTransB(String name, String a, String b) {
        return node("Gemm", name, new String[] {a, b}, intAttribute("transB", 1));
    }

    public String transpose(String name, String x, long... perm) {
        return node("Transpose", name, new String[] {x}, intsAttribute("perm", perm));
    }

    public String div(String name, String a, String b) {
        return node("Div", name, new String[] {a, b});
    }

    public String where(String name, String condition, String x, String y) {
        return node("Where", name, new String[] {condition, x, y});
    }

    /** cap·tanh(x/cap), elementwise (Gemma 2's attention and final logit soft-capping). */
    public String softcap(String path, String x, double cap) {
        String capValue = scalar(path + "/cap", (float) cap);
        return mul(path + "/Mul", unary("Tanh", path + "/Tanh", div(path + "/Div", x, capValue)), capValue);
    }

    // ---- attributes and value infos ---------------------------------------------------------------------

    public static OnnxMl.AttributeProto intAttribute(String name, long value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static OnnxMl.AttributeProto intsAttribute(String name, long... values) {
        OnnxMl.AttributeProto.Builder attribute = OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }

    public static OnnxMl.AttributeProto floatAttribute(String name, float value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** dims: an Integer/Long for a fixed axis, a String for a named dynamic axis. */
    private static OnnxMl.ValueInfoProto valueInfo(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dimension = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (dim instanceof String param) {
                dimension.setDimParam(param);
            } else {
                dimension.setDimValue(((Number) dim).longValue());
            }
            shape.addDim(dimension);
        }
        OnnxMl.TypeProto.Tensor tensorType = OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(type.getNumber()).setShape(shape).build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(tensorType)).build();
    }
}
