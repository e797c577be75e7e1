package dev.prunelab.pruning.job;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.pruning.memory.PruneMemory;
import dev.prunelab.pruning.memory.WorkingSet;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.run.ReportedExport;
import dev.prunelab.pruning.run.RunReport;
import dev.prunelab.pruning.search.LevelSearch;
import dev.prunelab.pruning.search.WidthSearch;
import dev.prunelab.pruning.structured.StructuredPruner;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.pruning.unstructured.SequentialPruner;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.StrictUtf8;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.CalibrationDefaults;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.WeightQuantizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One prune as {@code ./lab prune} runs it: open the checkpoint, draw the calibration windows from the text,
 * prune (unstructured/N:M or structured) and export to a directory with {@code prune-report.json}. The CLI and
 * the pruner service both call this.
 */
public final class PruneJob {
    /** Reads the reports back; what this engine did not write (a later version's fields) is left out. */
    private static final ObjectMapper REPORTS = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private PruneJob() {
    }

    /** The shipped calibration text ({@link CalibrationDefaults#TEXT}; fails naming the data folder when missing). */
    public static Path defaultCalibrationText() {
        return SharedData.path(CalibrationDefaults.TEXT);
    }

    /** The calibration of a request's fields, each absent one ({@code null}) taking {@link CalibrationDefaults}. */
    public static Calibration calibration(Path text, Integer samples, Integer window, Long seed) {
        return new Calibration(text != null ? text : defaultCalibrationText(),
                samples != null ? samples : CalibrationDefaults.SAMPLES,
                window != null ? window : CalibrationDefaults.WINDOW,
                seed != null ? seed : CalibrationDefaults.SEED);
    }

    /**
     * The report a prune wrote next to its model ({@value ReportedExport#FILE_NAME}) as the record that wrote it: a
     * {@link StructuredReport} (schema {@value StructuredReport#SCHEMA}) or a {@link PruneReport}.
     */
    public static RunReport report(Path exportDirectory) {
        Path file = exportDirectory.resolve(ReportedExport.FILE_NAME);
        try {
            JsonNode report = REPORTS.readTree(file.toFile());
            return StructuredReport.SCHEMA.equals(report.path("schema").asText(null))
                    ? REPORTS.treeToValue(report, StructuredReport.class)
                    : REPORTS.treeToValue(report, PruneReport.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Unstructured or N:M pruning of {@code model} into {@code out}, within this process's memory. */
    public static PruneReport prune(Path model, Optional<Path> tokenizer, PruneRequest request, Path out,
            ProgressListener listener) {
        return prune(model, tokenizer, request, out, listener, MemoryBudget.ofThisProcess(null));
    }

    /** Unstructured or N:M pruning, refused before any work when a stage cannot fit {@code budget}. */
    public static PruneReport prune(Path model, Optional<Path> tokenizer, PruneRequest request, Path out,
            ProgressListener listener, MemoryBudget budget) {
        return run(model, tokenizer, request.needsCalibration(), request.calibration(),
                loaded -> plan(loaded, request), budget, listener,
                (loaded, windows) -> SequentialPruner.prune(loaded, request, windows, out, listener));
    }

    /** Structured pruning of {@code model} into {@code out}, within this process's memory. */
    public static StructuredReport prune(Path model, Optional<Path> tokenizer, StructuredRequest request, Path out,
            ProgressListener listener) {
        return prune(model, tokenizer, request, out, listener, MemoryBudget.ofThisProcess(null));
    }

    /** Structured pruning, refused before any work when a stage cannot fit {@code budget}. */
    public static StructuredReport prune(Path model, Optional<Path> tokenizer, StructuredRequest request, Path out,
            ProgressListener listener, MemoryBudget budget) {
        return run(model, tokenizer, request.needsCalibration(), request.calibration(),
                loaded -> searching(plan(loaded, request.needsCalibration(), request.calibration(), false, false, true,
                        false), request.allocation() == StructuredAllocation.SEARCH, request.ratio()),
                budget,
                listener,
                (loaded, windows) -> StructuredPruner.prune(loaded, request, windows, out, listener));
    }

    /**
     * SparseGPT and GPTQ keep XᵀX; GPTQ keeps every block's int4 codes until the export; the pruned block is read
     * back from the spill file.
     */
    private static PruneMemory.Plan plan(LoadedModel loaded, PruneRequest request) {
        boolean gptq = request.quantization().quantizer() == WeightQuantizer.GPTQ;
        PruneMemory.Plan plan = plan(loaded, request.needsCalibration(), request.calibration(),
                request.method() instanceof SparseGpt || gptq, gptq, false,
                request.refinement() == MaskRefinement.DSNOT);
        PruneMemory.Plan searched = searching(plan, request.layerSparsity() == LayerSparsity.SEARCH,
                request.pattern().sparsity());
        // the width search's database is smaller than the level search's (2 choices a block against up to 11)
        return searched.search() == null && request.weightBudgetBytes() != null
                ? new PruneMemory.Plan(plan.windows(), plan.window(), plan.hessian(), plan.keepsInt4Codes(),
                        plan.keepsPrunedBlock(), plan.copiesWeight(), WidthSearch.memoryPlan())
                : searched;
    }

    /** The plan with the layer search's database and fitness where the request searches. */
    private static PruneMemory.Plan searching(PruneMemory.Plan plan, boolean search, double target) {
        return search ? new PruneMemory.Plan(plan.windows(), plan.window(), plan.hessian(), plan.keepsInt4Codes(),
                plan.keepsPrunedBlock(), plan.copiesWeight(), LevelSearch.memoryPlan(target)) : plan;
    }

    private static PruneMemory.Plan plan(LoadedModel loaded, boolean needsCalibration, Calibration calibration,
            boolean hessian, boolean keepsInt4Codes, boolean keepsPrunedBlock, boolean copiesWeight) {
        return needsCalibration
                ? new PruneMemory.Plan(calibration.samples(), BlockCalibration.windowTokens(loaded.config(),
                        calibration), hessian, keepsInt4Codes, keepsPrunedBlock, copiesWeight)
                : new PruneMemory.Plan(0, 0, false, keepsInt4Codes, keepsPrunedBlock, copiesWeight);
    }

    /**
     * Either pruner on the opened model, its windows drawn from the calibration text when it asks for them, once
     * every stage's working set fits the budget.
     */
    private static <R> R run(Path model, Optional<Path> tokenizer, boolean needsCalibration, Calibration calibration,
            Function<LoadedModel, PruneMemory.Plan> plan, MemoryBudget budget, ProgressListener listener,
            BiFunction<LoadedModel, WindowSource, R> pruner) {
        checkCalibrationText(needsCalibration, calibration);
        ThreadPolicy.beginSample();   // auto threads: the idle cores over the checkpoint's opening, no pause of its own
        try (LoadedModel loaded = ModelLoader.open(model, tokenizer)) {
            List<WorkingSet> stages = PruneMemory.stages(loaded.config(), loaded.tensors(), plan.apply(loaded));
            listener.memoryPlanned(budget.check(stages), MemoryBudget.largestOnHeap(stages), budget);
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
