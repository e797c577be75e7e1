package dev.prunelab.pruning.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.InMemoryTensors;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A float16 embedding is gathered as stored and only its rows are cast, and a float16 head too large for ONNX
 * Runtime's constant folding is split into parts that it folds; logits are those of the float16 weights either
 * way, in a session at ONNX Runtime's highest optimisation level (which aborted the process on the unsplit 8B head).
 */
class Float16TablesTest {
    private static final int VOCAB = 10;
    private static final int WIDTH = 8;
    private static final long[] IDS = {3, 9, 0, 4};

    private final float[] table = new float[VOCAB * WIDTH];

    Float16TablesTest() {
        Random random = new Random(7);
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) random.nextGaussian();
        }
    }

    /** logits = table[ids] · tableᵀ: the embedding and the tied head of one float16 table. */
    private OnnxMl.ModelProto model(Long headPartLimitBytes) {
        InMemoryTensors weights = new InMemoryTensors(Path.of("table"));
        weights.put("embed.weight", table, VOCAB, WIDTH);
        GraphBuilder g = new GraphBuilder("tables", new InitializerStore(new WeightFormat(true, false), null));
        DecoderGraph d = new DecoderGraph(g, weights, new int[0], WIDTH, new int[0], 0);
        if (headPartLimitBytes != null) {
            d.splitHeadAbove(headPartLimitBytes);
        }
        GraphBuilder.StoredMatrix embedding = d.table("embed.weight");
        String rows = d.tableRows("/embed", embedding, DecoderIo.INPUT_IDS);
        d.logitsOutput(rows, embedding, WIDTH, VOCAB);
        return OnnxMl.ModelProto.newBuilder().setIrVersion(GraphBuilder.IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(GraphBuilder.OPSET))
                .setGraph(g.build()).build();
    }

    private float[] logits(OnnxMl.ModelProto model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {1, IDS.length};
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            Map<String, OnnxTensor> inputs = new HashMap<>();
            try (OrtSession session = env.createSession(model.toByteArray(), options)) {
                inputs.put(DecoderIo.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(IDS), shape));
                inputs.put(DecoderIo.ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {1, 1, 1, 1}), shape));
                inputs.put(DecoderIo.POSITION_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {0, 1, 2, 3}), shape));
                try (OrtSession.Result result = session.run(inputs)) {
                    FloatBuffer out = ((OnnxTensor) result.get(DecoderIo.LOGITS).get()).getFloatBuffer();
                    float[] logits = new float[out.remaining()];
                    out.get(logits);
                    return logits;
                }
            } finally {
                inputs.values().forEach(OnnxTensor::close);
            }
        }
    }

    private void assertLogitsOfTheFloat16Table(float[] logits) {
        assertEquals(IDS.length * VOCAB, logits.length);
        for (int s = 0; s < IDS.length; s++) {
            for (int v = 0; v < VOCAB; v++) {
                double expected = 0;
                for (int h = 0; h < WIDTH; h++) {
                    expected += (double) half(table[(int) IDS[s] * WIDTH + h]) * half(table[v * WIDTH + h]);
                }
                assertEquals(expected, logits[s * VOCAB + v], 1e-5 * (1 + Math.abs(expected)), "token " + s + ", row " + v);
            }
        }
    }

    private static float half(float value) {
        return HalfFloats.f16ToFloat(HalfFloats.floatToF16(value));
    }

    private static List<OnnxMl.NodeProto> nodes(OnnxMl.ModelProto model, String opType) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).toList();
    }

    @Test
    void theEmbeddingIsGatheredInFloat16AndOnlyItsRowsAreCast() throws Exception {
        OnnxMl.ModelProto model = model(null);
        OnnxMl.NodeProto gather = nodes(model, "Gather").stream()
                .filter(n -> n.getName().equals("/embed/Gather")).findFirst().orElseThrow();
        assertEquals("embed.weight", gather.getInput(0));
        assertTrue(nodes(model, "Cast").stream().anyMatch(n -> n.getInput(0).equals(gather.getOutput(0))),
                "the gathered rows are cast to float32");
        // a small head keeps one Gemm over one Cast of the table, which ONNX Runtime folds at load
        List<OnnxMl.NodeProto> gemms = nodes(model, "Gemm");
        assertEquals(1, gemms.size());
        assertEquals("embed.weight/Cast_output_0", gemms.get(0).getInput(1));
        assertLogitsOfTheFloat16Table(logits(model));
    }

    @Test
    void aHeadAboveTheFoldingLimitIsSplitIntoPartsThatAreEachCastAndGivesTheSameLogits() throws Exception {
        // 10 rows x 8 x 4 bytes = 320 bytes in float32; parts of at most 128 bytes: 3 parts of 4, 4 and 2 rows
        OnnxMl.ModelProto model = model(128L);
        List<OnnxMl.NodeProto> gemms = nodes(model, "Gemm");
        assertEquals(3, gemms.size());
        for (OnnxMl.NodeProto cast : nodes(model, "Cast")) {
            assertTrue(!cast.getInput(0).equals("embed.weight"), "no Cast of the whole table: " + cast.getName());
        }
        List<OnnxMl.NodeProto> slices = nodes(model, "Slice").stream()
                .filter(n -> n.getInput(0).equals("embed.weight")).toList();
        assertEquals(3, slices.size());
        assertLogitsOfTheFloat16Table(logits(model));
    }
}
