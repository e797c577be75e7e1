package dev.prunelab.pruning.job;

import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.structured.StructuredPruner;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.pruning.unstructured.SequentialPruner;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.text.corpus.StrictUtf8;
import dev.prunelab.vocabulary.InvalidSetting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * One prune as {@code ./lab prune} runs it: open the checkpoint, draw the calibration windows from the text,
 * prune (unstructured/N:M or structured) and export to a directory with {@code prune-report.json}. The CLI and
 * the pruner service both call this.
 */
public final class PruneJob {
    /** The shipped TinyStories calibration text, relative to the shared data folder. */
    public static final String DEFAULT_CALIBRATION = "text/tinystories/calibration.txt";
    public static final int DEFAULT_SAMPLES = 128;
    /** 0 = the model's context length, capped at 2048. */
    public static final int DEFAULT_WINDOW = 0;
    public static final long DEFAULT_SEED = 0;

    private PruneJob() {
    }

    /** The shipped calibration text (fails naming the data folder when it is missing). */
    public static Path defaultCalibrationText() {
        return SharedData.path(DEFAULT_CALIBRATION);
    }

    /** Unstructured or N:M pruning of {@code model} into {@code out}. */
    public static PruneReport prune(Path model, Optional<Path> tokenizer, PruneRequest request, Path out,
            ProgressListener listener) {
        return run(model, tokenizer, request.needsCalibration(), request.calibration(),
                (loaded, windows) -> SequentialPruner.prune(loaded, request, windows, out, listener));
    }

    /** Structured pruning of {@code model} into {@code out}. */
    public static StructuredReport prune(Path model, Optional<Path> tokenizer, StructuredRequest request, Path out,
            ProgressListener listener) {
        return run(model, tokenizer, request.needsCalibration(), request.calibration(),
                (loaded, windows) -> StructuredPruner.prune(loaded, request, windows, out, listener));
    }

    /** Either pruner on the opened model, its windows drawn from the calibration text when it asks for them. */
    private static <R> R run(Path model, Optional<Path> tokenizer, boolean needsCalibration, Calibration calibration,
            BiFunction<LoadedModel, WindowSource, R> pruner) {
        checkCalibrationText(needsCalibration, calibration);
        ThreadPolicy.beginSample();   // auto threads: the idle cores over the checkpoint's opening, no pause of its own
        try (LoadedModel loaded = ModelLoader.open(model, tokenizer)) {
            return pruner.apply(loaded, windowTokens -> calibrationWindows(loaded, model, calibration, windowTokens));
        }
    }

    private static void checkCalibrationText(boolean needed, Calibration calibration) {
        if (needed && !Files.isRegularFile(calibration.text())) {
            throw new InvalidSetting("calibration", "text " + calibration.text() + " does not exist");
        }
    }

    /** The calibration windows: the text as paragraphs (BOS + pieces), sampled at random offsets with the seed. */
    public static List<int[]> calibrationWindows(LoadedModel loaded, Path model, Calibration calibration,
            int windowTokens) {
        Path tokenizerPath = loaded.tokenizerPath().orElseThrow(() -> new InvalidSetting("tokenizer",
                "calibration needs one and none was found next to " + model));
        try (TextTokenizer textTokenizer = TextTokenizer.open(tokenizerPath)) {
            String content;
            try {
                content = StrictUtf8.read(calibration.text());
            } catch (StrictUtf8.NotUtf8Exception e) {
                throw new InvalidSetting("calibration.text", e.getMessage() + " (" + calibration.text() + ")");
            }
            int[] stream = TokenWindows.paragraphStream(textTokenizer, content, loaded.bosTokenId());
            return CalibrationSampler.sample(stream, calibration.samples(), windowTokens, calibration.seed());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read calibration text " + calibration.text(), e);
        }
    }
}
