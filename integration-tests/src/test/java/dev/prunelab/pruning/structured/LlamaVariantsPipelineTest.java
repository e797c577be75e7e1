package dev.prunelab.pruning.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.evaluation.quality.PerplexityEvaluator;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.reference.ReferenceDecoder;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.pruning.unstructured.SequentialPruner;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each new Llama variant (and Gemma 2 and 3, whose sliding windows of 8 these 64-token windows pass) end to end,
 * as ./lab runs it: the synthesized checkpoint (its exact Hugging Face layout)
 * exported dense, pruned by Wanda at 50% and by FLAP at 30% of the MLP channels and heads, each calibrated on
 * TinyStories text, and scored by the lab's perplexity evaluator on windows of the validation text (stories260K's
 * 512-token vocabulary fits these models). The evaluator's perplexity of each export equals the reference forward
 * pass's over the same windows and the exported weights, so pruning, export and evaluation agree.
 */
class LlamaVariantsPipelineTest {
    private static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);
    private static final int WINDOW = 64;
    private static final int WINDOWS = 3;

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen3", "tiny-phi3", "tiny-gemma2", "tiny-gemma3"})
    void wandaAndStructuredPruningExportAndEvaluate(String presetId) throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(presetId), DType.F32, 13);
        List<int[]> windows;
        int[] calibrationStream;
        try (TextTokenizer tokenizer = TextTokenizer.open(SharedData.path("models/stories260K/tok512.bin"))) {
            windows = TokenWindows.windows(TokenWindows.paragraphStream(tokenizer,
                    Files.readString(SharedData.path("text/tinystories/validation.txt")), 1), WINDOW)
                    .subList(0, WINDOWS);
            calibrationStream = TokenWindows.paragraphStream(tokenizer,
                    Files.readString(SharedData.path("text/tinystories/calibration.txt")), 1);
        }
        WindowSource calibration = window -> CalibrationSampler.sample(calibrationStream, 8, window, 0);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            Path dense = temp.resolve("dense");
            DecoderExporter.export(model, dense, WeightDtype.FLOAT32);
            double densePerplexity = evaluated(model, dense, windows, model.config());

            Path wanda = temp.resolve("wanda");
            PruneReport unstructured = SequentialPruner.prune(model, new PruneRequest(
                    PruneRequest.method(PruneMethod.WANDA), new SparsityPattern.Unstructured(0.5), LayerSparsity.UNIFORM,
                    new Calibration(Path.of("calibration.txt"), 8, WINDOW, 0), WeightDtype.FLOAT32, 1),
                    calibration, wanda);
            assertEquals(0.5, unstructured.achievedSparsity(), 1.0 / 64);
            double wandaPerplexity = evaluated(model, wanda, windows, model.config());

            Path flap = temp.resolve("flap");
            StructuredReport structured = StructuredPruner.prune(model, new StructuredRequest(
                    StructuredTarget.MLP_HEADS, 0.3, StructuredScore.FLAP, StructuredAllocation.UNIFORM, true,
                    new Calibration(Path.of("calibration.txt"), 8, WINDOW, 0), WeightDtype.FLOAT32, 1),
                    calibration, flap);
            assertTrue(structured.parametersAfter() < structured.parametersBefore());
            assertEquals(structured.parametersAfter(), ModelCard.read(flap).parameterCount());
            double flapPerplexity = evaluated(model, flap, windows, model.config());

            System.out.printf("PIPELINE %-12s perplexity on %d windows of %d: dense %.3f, wanda 0.5 %.3f, "
                    + "mlp+heads 0.3 %.3f (parameters %d -> %d)%n", presetId, WINDOWS, WINDOW, densePerplexity,
                    wandaPerplexity, flapPerplexity, structured.parametersBefore(), structured.parametersAfter());
        }
    }

    /**
     * The lab evaluator's perplexity of an export, checked against exp(mean NLL) of the reference forward pass over
     * the same windows and the weights read back from the export.
     */
    private static double evaluated(LoadedModel model, Path exported, List<int[]> windows, DecoderConfig config)
            throws Exception {
        double perplexity;
        try (DecoderSession session = DecoderSession.open(exported, ONE_THREAD)) {
            perplexity = PerplexityEvaluator.evaluate(session, windows, done -> { }).perplexity();
        }
        assertTrue(Double.isFinite(perplexity) && perplexity > 1, exported + ": perplexity " + perplexity);
        double nll = 0;
        long scored = 0;
        try (TensorSource weights = OnnxWeights.read(exported)) {
            for (int[] window : windows) {
                float[][] logits = ReferenceDecoder.create(config, weights).run(window);
                for (int t = 0; t + 1 < window.length; t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (float logit : logits[t]) {
                        max = Math.max(max, logit);
                    }
                    double sum = 0;
                    for (float logit : logits[t]) {
                        sum += Math.exp(logit - max);
                    }
                    nll += Math.log(sum) + max - logits[t][window[t + 1]];
                    scored++;
                }
            }
        }
        double reference = Math.exp(nll / scored);
        assertEquals(reference, perplexity, 1e-4 * reference, exported + ": evaluator vs reference perplexity");
        return perplexity;
    }
}
