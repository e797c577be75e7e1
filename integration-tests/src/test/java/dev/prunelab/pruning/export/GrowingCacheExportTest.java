package dev.prunelab.pruning.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.reference.ReferenceDecoder;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The growing-cache export ({@code ./lab export --cache growing}) for runtimes other than ONNX Runtime: the standard
 * past/present contract at opset 17, built only from operators that opset has, giving the reference forward pass's
 * logits for a prefill and cached decode steps (driven here through that contract directly, as another runtime
 * would), with a model card that names the interface.
 */
class GrowingCacheExportTest {
    /** The operators of the default domain that opset 17 defines and the growing graph may use. */
    private static final Set<String> OPSET_17_OPERATORS = Set.of("Add", "And", "Cast", "Concat", "Div", "Erf", "Expand",
            "Gather", "Gemm", "LayerNormalization", "LessOrEqual", "MatMul", "Mul", "Neg", "Pow", "Range", "ReduceMean",
            "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Sqrt", "Sub", "Tanh", "Transpose", "Unsqueeze",
            "Where", "Identity");

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-gqa", "tiny-opt", "tiny-opt-post-ln", "tiny-gpt2"})
    void theGrowingGraphMatchesTheReferenceWithOpset17Operators(String presetId) throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(presetId), DType.F32, 5);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            Path exported = exportGrowing(model);
            assertOpset17Graph(exported);
            double difference = maxDifferenceToReference(model, exported,
                    ExportOracleTest.randomTokens(model.config().vocabSize(), 7), 8);
            System.out.printf("GROWING %-18s max |logit difference| = %.3e%n", presetId, difference);
            assertTrue(difference <= ExportOracleTest.TOLERANCE, presetId + ": " + difference);
        }
    }

    @Test
    void stories260KInTheGrowingInterfaceMatchesTheReferenceAndIsRefusedByTheEvaluator() throws Exception {
        try (LoadedModel model = ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"),
                Optional.empty())) {
            Path exported = exportGrowing(model);
            assertOpset17Graph(exported);
            ModelCard card = ModelCard.read(exported);
            assertEquals("growing", card.cacheInterface());
            assertEquals(Optional.of(CacheInterface.GROWING), card.cache());
            double difference = maxDifferenceToReference(model, exported, ExportOracleTest.randomTokens(512, 3), 8);
            assertTrue(difference <= ExportOracleTest.TOLERANCE, "max |logit difference| " + difference);

            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> DecoderSession.open(exported, RuntimeOptions.cpu()));
            assertTrue(refused.getMessage().contains("growing KV-cache interface")
                    && refused.getMessage().contains("without '--cache growing'"), refused.getMessage());

            Path inPlace = temp.resolve("in-place");
            DecoderExporter.export(model, inPlace, WeightDtype.FLOAT32);
            assertEquals("in-place", ModelCard.read(inPlace).cacheInterface());
        }
    }

    @Test
    void fourBitWeightsAreRefusedForTheGrowingInterface() throws Exception {
        try (LoadedModel model = ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"),
                Optional.empty())) {
            Path out = temp.resolve("int4-growing");
            InvalidSetting refused = assertThrows(InvalidSetting.class, () -> DecoderExporter.export(model,
                    model.tensors(), out, WeightDtype.FLOAT32, false, LinearQuantization.of(4, 32),
                    CacheInterface.GROWING, staging -> { }));
            assertTrue(refused.getMessage().contains("MatMulNBits") && refused.getMessage().contains("float weights"),
                    refused.getMessage());
            assertFalse(Files.exists(out), "nothing is written for a refused export");
        }
    }

    @Test
    void anUnknownInterfaceIsRefusedByName() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> CacheInterface.of("paged"));
        assertEquals("unknown cache interface 'paged' (expected in-place|growing)", refused.getMessage());
        assertEquals(CacheInterface.GROWING, CacheInterface.of("GROWING"));
    }

    private Path exportGrowing(LoadedModel model) {
        Path exported = temp.resolve("growing");
        DecoderExporter.export(model, model.tensors(), exported, WeightDtype.FLOAT32, false, LinearQuantization.FLOAT,
                CacheInterface.GROWING, staging -> { });
        return exported;
    }

    static void assertOpset17Graph(Path exported) throws Exception {
        OnnxMl.ModelProto onnx;
        try (InputStream in = Files.newInputStream(exported.resolve(DecoderIo.MODEL_FILE))) {
            onnx = OnnxMl.ModelProto.parseFrom(in);
        }
        assertEquals(8, onnx.getIrVersion());
        assertEquals(1, onnx.getOpsetImportCount(), "only the default domain");
        assertEquals(17, onnx.getOpsetImport(0).getVersion());
        for (OnnxMl.NodeProto node : onnx.getGraph().getNodeList()) {
            assertTrue(node.getDomain().isEmpty() && OPSET_17_OPERATORS.contains(node.getOpType()),
                    node.getName() + " is " + node.getDomain() + ":" + node.getOpType());
        }
        assertFalse(onnx.getGraph().getInputList().stream()
                .anyMatch(input -> input.getName().equals(DecoderIo.CACHE_WRITE_INDICES)));
    }

    /**
     * Prefill then greedy decode through the growing contract as another runtime would drive it: the past starts
     * with 0 positions, each step's presents become the next step's pasts and the mask grows by one.
     */
    static double maxDifferenceToReference(LoadedModel model, Path exported, int[] prompt, int decodeSteps)
            throws OrtException {
        double[] differences = differencesToReference(model, model.tensors(), exported, prompt, decodeSteps);
        return Math.max(differences[0], differences[1]);
    }

    /**
     * The same drive, the reference reading {@code weights}: the largest |logit difference| over the prefill
     * positions, [0], and over the decode steps, [1].
     */
    static double[] differencesToReference(LoadedModel model, TensorSource weights,
            Path exported, int[] prompt, int decodeSteps) throws OrtException {
        ReferenceDecoder reference = ReferenceDecoder.create(model.config(), weights);
        float[][] expectedPrefill = reference.run(prompt);
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        double maxDecode = 0;
        double maxPrefill = 0;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = environment.createSession(exported.resolve(DecoderIo.MODEL_FILE).toString(),
                    options)) {
                int layers = model.config().numLayers();
                Map<String, OnnxTensor> past = new HashMap<>();
                for (int layer = 0; layer < layers; layer++) {
                    long[] shape = ((ai.onnxruntime.TensorInfo) session.getInputInfo().get(DecoderIo.pastKey(layer))
                            .getInfo()).getShape();
                    long[] empty = {1, shape[1], 0, shape[3]};
                    past.put(DecoderIo.pastKey(layer), OnnxTensor.createTensor(environment, FloatBuffer.allocate(0), empty));
                    past.put(DecoderIo.pastValue(layer), OnnxTensor.createTensor(environment, FloatBuffer.allocate(0), empty));
                }
                long[] ids = new long[prompt.length];
                long[] positions = new long[prompt.length];
                for (int i = 0; i < prompt.length; i++) {
                    ids[i] = prompt[i];
                    positions[i] = i;
                }
                int length = 0;
                float[] last = null;
                for (int step = 0; step <= decodeSteps; step++) {
                    int sequence = ids.length;
                    Map<String, OnnxTensor> inputs = new HashMap<>(past);
                    inputs.put(DecoderIo.INPUT_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(ids),
                            new long[] {1, sequence}));
                    inputs.put(DecoderIo.POSITION_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(positions),
                            new long[] {1, sequence}));
                    inputs.put(DecoderIo.ATTENTION_MASK, OnnxTensor.createTensor(environment,
                            LongBuffer.wrap(OracleComparison.ones(length + sequence)), new long[] {1, length + sequence}));
                    try (OrtSession.Result result = session.run(inputs)) {
                        float[][][] logits = (float[][][]) result.get(DecoderIo.LOGITS).orElseThrow().getValue();
                        if (step == 0) {
                            for (int position = 0; position < sequence; position++) {
                                maxPrefill = Math.max(maxPrefill,
                                        OracleComparison.maxAbs(expectedPrefill[position], logits[0][position]));
                            }
                        } else {
                            float[] expected = reference.step((int) ids[0], length);
                            maxDecode = Math.max(maxDecode, OracleComparison.maxAbs(expected, logits[0][0]));
                        }
                        last = logits[0][sequence - 1];
                        for (int layer = 0; layer < layers; layer++) {
                            for (String name : new String[] {DecoderIo.pastKey(layer), DecoderIo.pastValue(layer)}) {
                                String present = name.replace("past_key_values.", "present.");
                                float[][][][] values = (float[][][][]) result.get(present).orElseThrow().getValue();
                                assertEquals(length + sequence, values[0][0].length, present + " positions");
                                past.get(name).close();
                                past.put(name, OnnxTensor.createTensor(environment, values));
                            }
                        }
                    } finally {
                        inputs.get(DecoderIo.INPUT_IDS).close();
                        inputs.get(DecoderIo.POSITION_IDS).close();
                        inputs.get(DecoderIo.ATTENTION_MASK).close();
                    }
                    length += sequence;
                    ids = new long[] {LogSoftmax.argmax(last)};
                    positions = new long[] {length};
                }
                past.values().forEach(OnnxTensor::close);
            }
        }
        return new double[] {maxPrefill, maxDecode};
    }
}
