package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RIA and DSnoT through the sequential pruner, exported as int4 MatMulNBits: exact counts in the export, every
 * pruned zero still zero after quantization, the same int4 graph at accuracy level 0 (float compute) matching the
 * reference forward pass of its dequantized weights, the exported level 4 (int8 activations, ONNX Runtime's kernel
 * for the CPU) within a documented bound of it, and the same pruned weights re-exported in float32 through
 * --pruned-weights matching the reference exactly.
 */
class MethodsPipelineTest {
    /** Float compute against the reference, as every float export is checked (ExportOracleTest). */
    static final double TOLERANCE = 1e-4;
    /** Accuracy level 4's int8 activations against the float reference, as a fraction of the largest logit. */
    static final double LEVEL4_RELATIVE = 0.1;

    @TempDir
    Path temp;

    /** A synthesized checkpoint of the preset (float32, seed 5) under {@code temp}/checkpoint. */
    static Path synthesized(Path temp, String preset) throws IOException {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(preset), DType.F32, 5);
        return checkpoint;
    }

    /** A uniform prune calibrated on 4 random windows of 32 tokens, one thread, its pruned weights kept in {@code saved}. */
    static PruneRequest onRandomWindows(String method, SparsityPattern pattern, WeightDtype dtype, MaskRefinement refine,
            LinearQuantization quantization, Path saved) {
        return new PruneRequest(PruneRequest.method(PruneMethod.of(method)), pattern, LayerSparsity.UNIFORM,
                new Calibration(Path.of("random"), 4, 32, 0), dtype, 1, false, refine, quantization, saved);
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama-gqa, ria, 2:4, dsnot, f32", "tiny-llama-gqa, wanda, 0.6, dsnot, f16",
        "tiny-gpt2, ria, 0.5, none, f32", "tiny-opt, sparsegpt, 4:8, dsnot, f32",
        "tiny-llama3, wanda, 0.5, none, f32", "tiny-qwen3, sparsegpt, 2:4, dsnot, f32", "tiny-phi3, ria, 0.5, dsnot, f32",
        "tiny-gemma2, ria, 0.5, dsnot, f16", "tiny-gemma3, sparsegpt, 2:4, dsnot, f32"})
    void prunesRefinesAndExportsInFourBits(String preset, String method, String pattern, String refine, String dtype)
            throws Exception {
        Path checkpoint = synthesized(temp, preset);
        Path out = temp.resolve("w4");
        Path saved = temp.resolve("pruned.safetensors");
        SparsityPattern requested = SparsityPattern.parse(pattern);
        PruneRequest request = onRandomWindows(method, requested, WeightDtype.of(dtype), MaskRefinement.of(refine),
                LinearQuantization.int4(16), saved);
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
                // the same pruned weights exported at accuracy level 0: the same int4 weights and scales, and the
                // CPU provider dequantizes them to float and multiplies in float
                Path level0 = temp.resolve("w4-level0");
                DecoderExporter.export(model, new OverlayTensors(model.tensors(), pruned), level0, WeightDtype.of(dtype),
                        false, request.quantization().withAccuracyLevel(0), staging -> { });
                try (InMemoryTensors level0Weights = OnnxWeights.read(level0, inputMajor)) {
                    for (PruneReport.MatrixSparsity matrix : report.matrices()) {
                        assertArrayEquals(dequantized.readFloats(matrix.name()), level0Weights.readFloats(matrix.name()),
                                matrix.name() + ": the same int4 weights and scales at either accuracy level");
                    }
                }
                OverlayTensors reference = new OverlayTensors(model.tensors(), dequantized);
                OracleAccess.Logits exact = OracleAccess.compare(model, reference, level0, 7);
                OracleAccess.Logits int8 = OracleAccess.compare(model, reference, out, 7);
                System.out.printf("%s %s %s %s %s: dequantized reference vs level 0 max |dlogit| %.2e, vs level 4 %.2e "
                        + "(max |logit| %.2e)%n", preset, method, pattern, refine, dtype, exact.maxDifference(),
                        int8.maxDifference(), int8.maxLogit());
                // Level 0 checks the export: float32 compute gives the reference up to summation order, as every
                // float export does; with float16 scales the activations entering and leaving each MatMulNBits are
                // float16 (unit roundoff 2^-11, and accumulated in float16 on CPUs with float16 arithmetic), a few
                // dozen roundings across these models, under 2^-6 of the logits' scale. A wrong weight, scale or
                // packing moves the logits by about their own scale.
                double level0Tolerance = dtype.equals("f16") ? 0x1p-6 * exact.maxLogit() : TOLERANCE;
                assertTrue(exact.maxDifference() <= level0Tolerance, "level 0 vs its dequantized weights: " + exact
                        + ", tolerance " + level0Tolerance);
                // Level 4 is ONNX Runtime's int8 kernel, which it picks by the CPU's instruction set (AVX2, AVX-512
                // VNNI, NEON dot products; or float where there is none), each with its own activation blocks: an
                // activation rounds to within 1/254 of its block's (or row's) largest, and across these models the
                // logits move by under 1 % of their scale (0.5 % where this was written). 10 % of their scale holds
                // for any of those kernels and still catches a graph that is wrong, which moves them by all of it.
                assertTrue(int8.maxDifference() <= LEVEL4_RELATIVE * int8.maxLogit(),
                        "level 4 vs its dequantized weights: " + int8);
                // the saved weights re-exported in float32 are the pruned model exactly
                Path float32 = temp.resolve("f32");
                DecoderExporter.export(model, new OverlayTensors(model.tensors(), pruned), float32, WeightDtype.FLOAT32,
                        false, LinearQuantization.FLOAT, staging -> { });
                assertTrue(OracleAccess.maxLogitDifference(model, new OverlayTensors(model.tensors(), pruned), float32, 7)
                        <= TOLERANCE);
            }
        }
    }
}
