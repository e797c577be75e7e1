package dev.prunelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.export.HuggingFaceWriteBack;
import dev.prunelab.pruning.job.PruneJob;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.search.WidthSearch;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.vocabulary.CalibrationDefaults;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.NmPattern;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Prune every linear layer of every decoder block (magnitude, Wanda or SparseGPT; unstructured "
                + "or N:M), calibrating block by block, and export the result to ONNX with prune-report.json. "
                + "--method structured removes MLP channels, attention heads or whole blocks instead and exports "
                + "a smaller dense model.")
final class PruneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "llama2.c checkpoint file, or Hugging Face directory with config.json and safetensors")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer (default: found next to the model)")
    Path tokenizer;

    @Option(names = "--method", required = true, paramLabel = "magnitude|wanda|sparsegpt|ria|structured",
            description = "pruning method")
    PruneMethod method;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target;

    @Option(names = "--target", paramLabel = "mlp|heads|blocks|mlp+heads",
            description = "structured: what to remove")
    StructuredTarget structuredTarget;

    @Option(names = "--ratio", paramLabel = "R", description = "structured: fraction of the target removed, in [0, 1)")
    Double ratio;

    @Option(names = "--score", paramLabel = "magnitude|wanda-sp|flap|block-influence",
            description = "structured: importance score (the lowest are removed)")
    StructuredScore score;

    @Option(names = "--allocation", defaultValue = "uniform", paramLabel = "uniform|global|owl|search",
            description = "structured: same ratio in every layer, one ranking over all layers, OWL's outlier ratios, or "
                    + "each layer's ratio found by search (as --layer-sparsity search) (default: ${DEFAULT-VALUE})")
    StructuredAllocation allocation;

    @Option(names = "--no-bias-compensation", description = "structured, flap: do not fold removed channels' means into the bias")
    boolean noBiasCompensation;

    static final class Target {
        @Option(names = "--sparsity", paramLabel = "S", description = "unstructured: fraction of weights to zero, in [0, 1)")
        Double sparsity;

        @Option(names = "--pattern", paramLabel = "N:M", description = "semi-structured: keep N of every M weights (2:4, 4:8)")
        String pattern;

        SparsityPattern toPattern() {
            return sparsity != null ? new SparsityPattern.Unstructured(sparsity)
                    : SparsityPattern.of(NmPattern.parse(NmPattern.FIELD, pattern));
        }
    }

    @Option(names = "--calibration", paramLabel = "FILE",
            description = "calibration text (default: the shipped TinyStories calibration text)")
    Path calibration;

    @Option(names = "--samples", defaultValue = "" + CalibrationDefaults.SAMPLES, paramLabel = "N",
            description = "calibration windows (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--window", defaultValue = "" + CalibrationDefaults.WINDOW, paramLabel = "W",
            description = "tokens per window (default: ${DEFAULT-VALUE} = the model's context length, capped at 2048)")
    int window;

    @Option(names = "--seed", defaultValue = "" + CalibrationDefaults.SEED, paramLabel = "N",
            description = "window sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--layer-sparsity", defaultValue = "uniform", paramLabel = "uniform|owl|search",
            description = "how sparsity is spread over layers: the same everywhere, by OWL's outlier ratios, or "
                    + "found by an evolutionary search scored by KL divergence from the dense model, seeded by "
                    + "--seed, written to layer-search.json (default: ${DEFAULT-VALUE})")
    LayerSparsity layerSparsity;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16", description = "exported weight type")
    WeightDtype dtype;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "threads for calibration (ONNX Runtime, never spinning) and the statistics' and SparseGPT's Java pool "
                    + "(default: 0 = one per core idle when the run starts; docs/commands.md \"Threads\")")
    int threads;

    @Option(names = "--compress-weights",
            description = "store weights with zeros skipped (model.onnx.data.sparse: one bit per zero), so an "
                    + "unstructured or N:M result shrinks on disk; the evaluator expands them and ONNX Runtime still "
                    + "loads them dense (disk and download shrink, runtime memory and time do not)")
    boolean compressWeights;

    @Option(names = "--refine", defaultValue = "none", paramLabel = "none|dsnot",
            description = "unstructured and N:M: refine the method's mask with DSnoT's prune-and-grow swaps "
                    + "(default: ${DEFAULT-VALUE})")
    MaskRefinement refine;

    @Option(names = "--weight-bits", paramLabel = "4",
            description = "store the pruned linear layers as int4 com.microsoft.MatMulNBits (symmetric, zeros stay "
                    + "zero); embeddings, norms and the head stay float (default: float)")
    Integer weightBits;

    @Mixin
    Int4Options int4Options;

    @Option(names = "--save-pruned-weights", paramLabel = "FILE",
            description = "keep the pruned linear weights (safetensors) for ./lab export --pruned-weights, e.g. "
                    + "to export the same mask again with --weight-bits 4")
    Path savePrunedWeights;

    @Option(names = "--save-hf", paramLabel = "DIR",
            description = "unstructured and N:M: also write the pruned model as a Hugging Face directory in the "
                    + "source's layout (tensor names, dtype, shards, config.json and tokenizer files), so it loads "
                    + "wherever the original did; a llama2.c source becomes a Hugging Face Llama directory")
    Path saveHf;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory")
    Path out;

    @Option(names = "--weight-budget", paramLabel = "SIZE",
            description = "with --weight-bits 4: the most bytes the blocks' linear weights may take in the export, for "
                    + "example 30m; the blocks whose 4-bit weights cost the most quality stay float while it holds "
                    + "them, found by the same evolutionary search as --layer-sparsity search (width-search.json)")
    String weightBudget;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "memory the prune may use, for example 4g or 4096m (default: what the machine or its "
                    + "container has); a stage that cannot fit is refused before any work, naming the stage and the "
                    + "bytes it needs")
    String maxMemory;

    private MemoryBudget budget() {
        return MemoryBudget.ofThisProcess(maxMemory == null ? null : MemoryBudget.parseBytes("maxMemory", maxMemory));
    }

    @Override
    public Integer call() {
        // Everything that can be wrong with the request fails here, before any model work.
        boolean structuredOptions = structuredTarget != null || ratio != null || score != null;
        InvalidSetting refused = PruneRules.optionsRefusal(method, target != null && target.sparsity != null,
                target != null && target.pattern != null, structuredOptions, layerSparsity, refine);
        if (refused != null) {
            throw refused.field().equals(PruneRules.STRUCTURED)
                    ? new IllegalArgumentException("--target, --ratio and --score: " + refused.problem()) : refused;
        }
        budget(); // a malformed --max-memory is refused before the model is opened
        if (weightBudget != null && method.isStructured()) {
            throw new IllegalArgumentException("--weight-budget is for unstructured and N:M methods");
        }
        return method.isStructured() ? structured() : unstructured();
    }

    private int unstructured() {
        if (saveHf != null) {
            HuggingFaceWriteBack.checkTarget(model, saveHf);
        }
        // --save-hf writes from the pruned weights, kept in a hidden file beside the output unless asked for
        Path prunedWeights = savePrunedWeights != null || saveHf == null ? savePrunedWeights
                : out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".hf-pruned-weights.safetensors");
        try {
            PruneReport report = PruneJob.prune(model, Optional.ofNullable(tokenizer), unstructuredRequest(prunedWeights),
                    out, new StageBars(""), budget());
            printReport(report);
            printWidths(out.resolve(WidthSearch.Result.FILE_NAME));
            if (saveHf != null) {
                printWriteBack(HuggingFaceWriteBack.write(model, Optional.ofNullable(tokenizer),
                        Optional.of(prunedWeights), saveHf));
            }
        } finally {
            if (saveHf != null && savePrunedWeights == null) {
                deleteQuietly(prunedWeights);
            }
        }
        return 0;
    }

    private int structured() {
        if (compressWeights) {
            throw new IllegalArgumentException("--compress-weights is for unstructured and N:M results; a "
                    + "structured result is already a smaller dense model");
        }
        if (saveHf != null) {
            throw new IllegalArgumentException("--save-hf: a structured result has different widths per layer, which "
                    + "no Hugging Face config.json describes; it can only be exported to ONNX (--out)");
        }
        if (savePrunedWeights != null) {
            throw new IllegalArgumentException("--save-pruned-weights is for unstructured and N:M methods");
        }
        if (structuredTarget == null || ratio == null || score == null) {
            throw new IllegalArgumentException("--method structured needs --target, --ratio and --score");
        }
        StructuredReport report = PruneJob.prune(model, Optional.ofNullable(tokenizer), structuredRequest(), out,
                new StageBars("structured"), budget());
        System.out.printf("structured %s %.2f by %s (%s) on %s%n", report.target(), report.requestedRatio(),
                report.score(), report.allocation(), model);
        System.out.printf("  parameters %,d -> %,d (-%.1f%%); FLOPs/token at %d cached tokens %,d -> %,d (-%.1f%%)%n",
                report.parametersBefore(), report.parametersAfter(), 100 * report.parameterReduction(),
                report.flopsContextTokens(), report.flopsPerTokenBefore(), report.flopsPerTokenAfter(),
                100 * report.flopsReduction());
        if (report.droppedLayers() != null) {
            System.out.println("  dropped blocks " + report.droppedLayers());
        }
        report.secondsPerStage().forEach((stage, s) -> System.out.printf("  %-20s %8.2f s%n", stage, s));
        System.out.printf("  threads %d%n", report.threads());
        System.out.printf("  peak RSS %s; wrote %s and %s%n", megabytes(report.peakRssBytes()), out,
                PruneReport.FILE_NAME);
        return 0;
    }

    /** What a weight budget's search chose, when it ran. */
    private static void printWidths(Path file) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            WidthSearch.Result widths = new ObjectMapper().readValue(file.toFile(), WidthSearch.Result.class);
            System.out.printf("  blocks kept float %s: linear weights %,d bytes (budget %,d; all 4-bit %,d, all "
                    + "float %,d); KL to dense %.4f, first blocks float %.4f, last %.4f, all 4-bit %.4f%n",
                    Arrays.toString(widths.floatLayers()), widths.bytes(), widths.budgetBytes(),
                    widths.allInt4Bytes(), widths.allFloatBytes(), widths.foundDivergence(),
                    widths.firstFloatDivergence(), widths.lastFloatDivergence(), widths.allInt4Divergence());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The engine's unstructured or N:M request these options describe (the one mapping of the flags). */
    private PruneRequest unstructuredRequest(Path prunedWeights) {
        return new PruneRequest(PruneRequest.method(method), target.toPattern(), layerSparsity, calibration(), dtype,
                threads, compressWeights, refine, quantization(), prunedWeights,
                weightBudget == null ? null : MemoryBudget.parseBytes("weightBudget", weightBudget));
    }

    /** The engine's structured request these options describe. */
    private StructuredRequest structuredRequest() {
        return new StructuredRequest(structuredTarget, ratio, score, allocation,
                score == StructuredScore.FLAP && !noBiasCompensation, calibration(), dtype, threads, quantization());
    }

    private Calibration calibration() {
        return PruneJob.calibration(calibration, samples, window, seed);
    }

    private LinearQuantization quantization() {
        return int4Options.quantization(weightBits);
    }

    private void printReport(PruneReport report) {
        System.out.printf("%s %s on %s: requested sparsity %.4f, achieved %.4f over %,d weights in %d matrices%n",
                report.method(), report.pattern(), model, report.requestedSparsity(), report.achievedSparsity(),
                report.prunedWeights(), report.matrices().size());
        if (report.refinementSummary() != null) {
            PruneReport.Refinement r = report.refinementSummary();
            System.out.printf("  dsnot: %,d swaps in %d matrices, sum |expected error| %.4g -> %.4g%n", r.swaps(),
                    r.matrices(), r.errorBefore(), r.errorAfter());
        }
        report.secondsPerStage().forEach((stage, s) -> System.out.printf("  %-20s %8.2f s%n", stage, s));
        System.out.printf("  threads %d%n", report.threads());
        System.out.printf("  peak RSS %s; wrote %s and %s%n", megabytes(report.peakRssBytes()), out,
                PruneReport.FILE_NAME);
        System.out.printf("  on disk %,d bytes (%s weights%s)%n", report.storage().directoryBytes(),
                report.storage().weightStorage(), report.storage().expandedWeightBytes() > 0
                        ? String.format(", %,d bytes expanded", report.storage().expandedWeightBytes()) : "");
    }

    static void printWriteBack(HuggingFaceWriteBack.Result result) {
        System.out.printf("wrote Hugging Face directory %s: %d pruned tensors (%s) in %d safetensors file%s%s; %s%n",
                result.directory(), result.prunedTensors(), String.join(", ", result.dtypes()), result.shards(),
                result.shards() == 1 ? "" : "s", result.keptFromZero() == 0 ? ""
                        : String.format(" (%,d kept weights below the dtype's range written as its smallest subnormal)",
                                result.keptFromZero()), String.join(" ", result.files()));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a hidden leftover named after the output is harmless
        }
    }

    static String megabytes(Long bytes) {
        return bytes == null ? "unknown (no /proc)" : String.format("%,d MB", bytes >> 20);
    }
}
