package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.evaluation.quality.PerplexityEvaluator;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the real stories260K model at 50% unstructured sparsity, the calibrated methods keep more quality than
 * magnitude pruning: perplexity on the whole TinyStories validation text (paragraphs protocol, W = 512).
 */
class Stories260KPruningQualityTest {
    /** One intra-op thread: the outputs compared here do not depend on the machine's cores or their load. */
    static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);

    static final int WINDOW = 512;

    @TempDir
    Path temp;

    @Test
    void wandaAndSparseGptBeatMagnitudeAtHalfSparsity() throws Exception {
        Path modelFile = SharedData.path("models/stories260K/stories260K.bin");
        Path calibrationText = SharedData.path("text/tinystories/calibration.txt");
        List<int[]> validationWindows;
        try (LoadedModel model = ModelLoader.open(modelFile, Optional.empty());
             TextTokenizer tokenizer = TextTokenizer.open(model.tokenizerPath().orElseThrow())) {
            validationWindows = TokenWindows.windows(TokenWindows.paragraphStream(tokenizer,
                    Files.readString(SharedData.path("text/tinystories/validation.txt")), model.bosTokenId()), WINDOW);
            int[] calibrationStream = TokenWindows.paragraphStream(tokenizer, Files.readString(calibrationText),
                    model.bosTokenId());
            double magnitude = prunedPerplexity(model, "magnitude", calibrationStream, validationWindows);
            double wanda = prunedPerplexity(model, "wanda", calibrationStream, validationWindows);
            double sparseGpt = prunedPerplexity(model, "sparsegpt", calibrationStream, validationWindows);
            System.out.printf("stories260K 50%%: perplexity magnitude %.3f, wanda %.3f, sparsegpt %.3f%n",
                    magnitude, wanda, sparseGpt);
            assertTrue(wanda < magnitude, "wanda " + wanda + " vs magnitude " + magnitude);
            assertTrue(sparseGpt < magnitude, "sparsegpt " + sparseGpt + " vs magnitude " + magnitude);
        }
    }

    private double prunedPerplexity(LoadedModel model, String method, int[] calibrationStream,
            List<int[]> validationWindows) {
        Path out = temp.resolve(method);
        PruneRequest request = new PruneRequest(PruneRequest.method(dev.prunelab.vocabulary.PruneMethod.of(method)), new SparsityPattern.Unstructured(0.5),
                LayerSparsity.UNIFORM, new Calibration(Path.of("calibration.txt"), 64,
                        WINDOW, 0), WeightDtype.FLOAT32, 1); // one calibration thread, not one per idle core
        SequentialPruner.prune(model, request, window -> CalibrationSampler.sample(calibrationStream, 64, window, 0),
                out);
        try (DecoderSession session = DecoderSession.open(out, ONE_THREAD)) {
            return PerplexityEvaluator.evaluate(session, validationWindows, done -> { }).perplexity();
        }
    }
}
