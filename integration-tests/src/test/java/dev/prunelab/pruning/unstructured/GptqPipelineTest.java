package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.export.OracleAccess;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.WeightQuantizer;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GPTQ after a pruning method, through the sequential pruner and the int4 export: the exported codes are the weights
 * GPTQ left (the saved weights, which the next blocks were calibrated on), every pruned zero still zero with the
 * method's exact counts (magnitude's mask, which calibration cannot move, equal to the float run's), zero points in the graph (the card says gptq, asymmetric), and at accuracy level 0 the graph
 * computes the forward pass of those weights. Rounding to nearest on the same grids exports the same mask.
 */
class GptqPipelineTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"tiny-llama-gqa, wanda, 2:4, gptq", "tiny-gpt2, magnitude, 0.5, gptq",
        "tiny-opt, sparsegpt, 0.5, gptq", "tiny-llama-gqa, wanda, 2:4, rtn-asymmetric"})
    void quantizesThePrunedWeightsKeepingTheMask(String preset, String method, String pattern, String quantizer)
            throws Exception {
        Path checkpoint = MethodsPipelineTest.synthesized(temp, preset);
        Path out = temp.resolve("w4");
        Path saved = temp.resolve("saved.safetensors");
        SparsityPattern requested = SparsityPattern.parse(pattern);
        LinearQuantization quantization = LinearQuantization.of(4, 16, WeightQuantizer.of(quantizer))
                .withAccuracyLevel(0);
        PruneRequest request = MethodsPipelineTest.onRandomWindows(method, requested, WeightDtype.FLOAT32,
                MaskRefinement.NONE, quantization, saved);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneReport report = SequentialPruner.prune(model, request,
                    SequentialPrunerTest.randomWindows(model.config().vocabSize(), 4, 1), out);
            Path floatSaved = temp.resolve("float.safetensors");
            SequentialPruner.prune(model, MethodsPipelineTest.onRandomWindows(method, requested, WeightDtype.FLOAT32,
                    MaskRefinement.NONE, LinearQuantization.FLOAT, floatSaved),
                    SequentialPrunerTest.randomWindows(model.config().vocabSize(), 4, 1), temp.resolve("f32"));
            boolean inputMajor = ModelFamilies.of(model.config()).graphs(model.config()).weightsStoredInputMajor();
            ModelCard card = ModelCard.read(out);
            assertFalse(card.linearQuantization().symmetric());
            assertEquals(quantizer.equals("gptq") ? "gptq" : "rtn", card.linearQuantization().quantizer());
            try (InMemoryTensors exported = OnnxWeights.read(out, inputMajor);
                 SafetensorsFile pruned = SafetensorsFile.open(saved);
                 SafetensorsFile floatPruned = SafetensorsFile.open(floatSaved)) {
                for (PruneReport.MatrixSparsity matrix : report.matrices()) {
                    float[] kept = pruned.readFloats(matrix.name());
                    float[] after = exported.readFloats(matrix.name());
                    if (quantizer.equals("gptq")) {
                        assertArrayEquals(kept, after, matrix.name() + ": the export holds GPTQ's weights");
                    }
                    for (int i = 0; i < kept.length; i++) {
                        if (kept[i] == 0f) {
                            assertEquals(0f, after[i], matrix.name() + ": a pruned weight must stay zero");
                        }
                    }
                    assertEquals(SequentialPrunerTest.expectedZeros(method, requested, matrix.shape(), inputMajor),
                            matrix.zeros(), matrix.name() + " the method's count");
                    if (method.equals("magnitude")) {
                        // a mask that does not depend on calibration: the float run's, zero for zero
                        float[] floatRun = floatPruned.readFloats(matrix.name());
                        for (int i = 0; i < kept.length; i++) {
                            if (floatRun[i] == 0f) {
                                assertEquals(0f, kept[i], matrix.name() + ": masked in the float run, " + i);
                            }
                        }
                    }
                }
                OracleAccess.Logits exact = OracleAccess.compare(model, new OverlayTensors(model.tensors(), exported),
                        out, 7);
                assertTrue(exact.maxDifference() <= MethodsPipelineTest.TOLERANCE, "level 0 vs its weights: " + exact);
            }
        }
    }
}
