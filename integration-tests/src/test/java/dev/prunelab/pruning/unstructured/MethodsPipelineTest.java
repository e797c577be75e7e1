package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.export.OracleAccess;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RIA and DSnoT through the sequential pruner, exported as int4 MatMulNBits: exact counts in the export, every
 * pruned zero still zero after quantization, the graph (run by ONNX Runtime at accuracy level 4) against the
 * reference forward pass of its dequantized weights, and the same pruned weights re-exported in float32 through
 * --pruned-weights matching the reference exactly.
 */
class MethodsPipelineTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"tiny-llama-gqa, ria, 2:4, dsnot, f32", "tiny-llama-gqa, wanda, 0.6, dsnot, f16",
        "tiny-gpt2, ria, 0.5, none, f32", "tiny-opt, sparsegpt, 4:8, dsnot, f32"})
    void prunesRefinesAndExportsInFourBits(String preset, String method, String pattern, String refine, String dtype)
            throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(preset), DType.F32, 5);
        Path out = temp.resolve("w4");
        Path saved = temp.resolve("pruned.safetensors");
        SparsityPattern requested = SparsityPattern.parse(pattern);
        PruneRequest request = new PruneRequest(PruneRequest.method(PruneMethod.of(method)), requested,
                LayerSparsity.UNIFORM, new Calibration(Path.of("random"), 4, 32, 0), WeightDtype.of(dtype), 1, false,
                MaskRefinement.of(refine), LinearQuantization.int4(16), saved);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneReport report = SequentialPruner.prune(model, request,
                    SequentialPrunerTest.randomWindows(model.config().vocabSize(), 4, 1), out);
            FamilyGraphs family = ModelFamilies.of(model.config()).graphs(model.config());
            boolean inputMajor = family.weightsStoredInputMajor();
            assertEquals(refine, report.refinement());
            if (refine.equals("dsnot")) {
                assertNotNull(report.refinementSummary());
                assertTrue(report.refinementSummary().errorAfter() <= report.refinementSummary().errorBefore());
            }
            ModelCard card = ModelCard.read(out);
            assertEquals(4, card.linearQuantization().accuracyLevel());
            assertEquals(16, card.linearQuantization().blockSize());
            assertEquals(dtype.equals("f16") ? "float16" : "float32", card.linearQuantization().scaleType());
            OnnxMl.ModelProto graph = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(out.resolve(DecoderIo.MODEL_FILE)));
            long quantizedNodes = graph.getGraph().getNodeList().stream()
                    .filter(n -> n.getOpType().equals("MatMulNBits") && n.getDomain().equals("com.microsoft")).count();
            assertEquals(report.matrices().size(), quantizedNodes, "one MatMulNBits per pruned matrix, nothing else");
            try (InMemoryTensors dequantized = OnnxWeights.read(out, inputMajor);
                 SafetensorsFile pruned = SafetensorsFile.open(saved)) {
                for (PruneReport.MatrixSparsity matrix : report.matrices()) {
                    float[] before = pruned.readFloats(matrix.name());
                    float[] after = dequantized.readFloats(matrix.name());
                    long zeros = 0;
                    for (int i = 0; i < before.length; i++) {
                        if (before[i] == 0f) {
                            zeros++;
                            assertEquals(0f, after[i], matrix.name() + ": a pruned weight must stay zero");
                        }
                    }
                    assertEquals(matrix.zeros(), zeros, matrix.name());
                    assertEquals(SequentialPrunerTest.expectedZeros(method, requested, matrix.shape(), inputMajor),
                            zeros, matrix.name() + " achieved sparsity (after DSnoT too)");
                    if (requested instanceof SparsityPattern.NM nm) {
                        SequentialPrunerTest.assertNmGroups(before, matrix.shape(), inputMajor, nm, matrix.name());
                    }
                }
                // the 4-bit graph against the float reference of its own dequantized weights: only the int8
                // activations of accuracy level 4 (and, with float16 scales, the float16 activations) differ
                double quantizedDifference = OracleAccess.maxLogitDifference(model, new OverlayTensors(model.tensors(),
                        dequantized), out, 7);
                assertTrue(quantizedDifference < 0.02, "4-bit graph vs its dequantized weights: " + quantizedDifference);
                // the saved weights re-exported in float32 are the pruned model exactly
                Path float32 = temp.resolve("f32");
                DecoderExporter.export(model, new OverlayTensors(model.tensors(), pruned), float32, WeightDtype.FLOAT32,
                        false, LinearQuantization.FLOAT, staging -> { });
                assertTrue(OracleAccess.maxLogitDifference(model, new OverlayTensors(model.tensors(), pruned), float32, 7)
                        <= 1e-4);
                System.out.printf("%s %s %s %s: 4-bit vs dequantized reference max |dlogit| %.2e%n", preset, method,
                        pattern, refine, quantizedDifference);
            }
        }
    }
}
