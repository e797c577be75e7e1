package dev.prunelab.pruning.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which blocks keep float linear weights and which go to 4 bits, under a budget of bytes: the same evolutionary search
 * as {@link LevelSearch} (EvoPress applies it to per-layer bit widths as well as to sparsity), over two choices per
 * block. The database holds every block, pruned at its level, once as 4-bit blocks dequantized back to float32 (what
 * the export's MatMulNBits computes with) and once float; the fitness is the KL divergence from the dense model on the
 * first calibration windows; a mutation turns one to three 4-bit blocks float and as many float blocks 4-bit, and a
 * mutant over the budget is not a candidate. The search starts from every block at 4 bits, then turns blocks float in
 * a seeded random order while the budget holds them, so it starts from as many float blocks as fit (where the blocks
 * are equally large, every candidate has that many).
 */
public final class WidthSearch {
    /** The stage timer's name for the search's own seconds. */
    public static final String STAGE = "width_search";

    private static final int INT4 = 0;
    private static final int FLOAT = 1;

    private WidthSearch() {
    }

    /** A block pruned at its level, as 4-bit weights or float. */
    @FunctionalInterface
    public interface BlockWidth {
        /**
         * Writes block {@code layer}'s pruned linear weights (float32 safetensors, the model's own names) to {@code
         * file}: with {@code quantized}, rounded to the export's 4-bit blocks and dequantized.
         */
        void write(int layer, boolean quantized, Map<FamilyGraphs.Tap, InputStatistics> statistics, Path file);
    }

    /**
     * What the search found, written beside prune-report.json as {@value #FILE_NAME}.
     *
     * @param widths             each block's linear weights: "int4" or "float"
     * @param budgetBytes        the budget on the blocks' linear weights in the export
     * @param bytes              what the widths found take
     * @param allInt4Bytes       every block at 4 bits
     * @param allFloatBytes      every block float
     * @param startDivergence    mean KL divergence per token (nats) of the start (see the class), on the last stage's
     *                           windows
     * @param foundDivergence    the same for the widths found
     * @param allInt4Divergence  every block at 4 bits
     * @param firstFloatDivergence the first blocks float, as many as the found widths have, the rest 4-bit
     * @param lastFloatDivergence  the last blocks float, as many
     * @param divergenceByGeneration the parent's divergence after each generation
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String[] widths, long budgetBytes, long bytes, long allInt4Bytes, long allFloatBytes,
            double startDivergence, double foundDivergence, double allInt4Divergence, double firstFloatDivergence,
            double lastFloatDivergence, double[] divergenceByGeneration, int generations, int offspring,
            int[] stageWindows, int[] stageSurvivors, long seed, int evaluations, int windowTokens,
            int blocksOpened) {
        public static final String FILE_NAME = "width-search.json";

        /** The blocks the search kept float, in order. */
        public int[] floatLayers() {
            return java.util.stream.IntStream.range(0, widths.length).filter(l -> "float".equals(widths[l]))
                    .toArray();
        }
    }

    /** What the default search holds in memory ({@link dev.prunelab.pruning.memory.PruneMemory}). */
    public static dev.prunelab.pruning.memory.PruneMemory.Search memoryPlan() {
        return LevelSearch.memoryPlan(2);
    }

    /**
     * Where a prune into {@code out} keeps this search (beside the output, as {@link LevelSearch#directoryBeside}).
     */
    public static Path directoryBeside(Path out) {
        Path absolute = out.toAbsolutePath();
        return absolute.resolveSibling("." + absolute.getFileName() + ".width-search");
    }

    /**
     * Refuses, before any work, a budget the search cannot serve: below every block at 4 bits, or holding every
     * block float (then there is nothing to choose: float weights need no search), or holding no block float.
     */
    public static void checkBudget(long budgetBytes, long[] int4Bytes, long[] floatBytes) {
        long allInt4 = Arrays.stream(int4Bytes).sum();
        long allFloat = Arrays.stream(floatBytes).sum();
        if (budgetBytes < allInt4) {
            throw new InvalidSetting("weightBudget", budgetBytes + " bytes is below the blocks' linear weights at 4 bits, "
                    + allInt4 + " bytes");
        }
        if (budgetBytes >= allFloat) {
            throw new InvalidSetting("weightBudget", budgetBytes + " bytes holds every block's linear weights float ("
                    + allFloat + " bytes): there is nothing to choose; ask for float weights");
        }
        long cheapest = Long.MAX_VALUE;
        for (int layer = 0; layer < int4Bytes.length; layer++) {
            cheapest = Math.min(cheapest, floatBytes[layer] - int4Bytes[layer]);
        }
        if (allInt4 + cheapest > budgetBytes) {
            throw new InvalidSetting("weightBudget", budgetBytes + " bytes holds no block float (every block at 4 bits "
                    + "takes " + allInt4 + " bytes, one float block " + cheapest + " more): ask for 4-bit weights");
        }
    }

    /**
     * Searches which blocks stay float within {@code budgetBytes} ({@link #checkBudget} first), with the database and
     * the search's progress in {@code directory} (resumed as {@link LevelSearch#search} resumes).
     *
     * @param variantKey everything besides the model and windows that decides the blocks' weights (the method, each
     *                   block's level, the quantizer): a database built under another key is built again
     * @param int4Bytes  each block's linear weights at 4 bits in the export, bytes
     * @param floatBytes each block's linear weights float in the export, bytes
     */
    public static Result search(DecoderConfig config, TensorSource weights, String variantKey, boolean hessian,
            BlockWidth writer, long[] int4Bytes, long[] floatBytes, long budgetBytes, BlockCalibration calibration,
            List<int[]> windows, LevelSearch.Settings settings, Path directory, ProgressListener listener) {
        checkBudget(budgetBytes, int4Bytes, floatBytes);
        int needed = settings.stageWindows()[settings.stageWindows().length - 1];
        if (windows.size() < needed) {
            throw new InvalidSetting("samples", "the width search scores candidates on " + needed
                    + " calibration windows; the request has " + windows.size());
        }
        int layers = config.numLayers();
        int[] start = new int[layers]; // every block at 4 bits, then float in a seeded order while the budget holds
        long used = Arrays.stream(int4Bytes).sum();
        for (int layer : shuffled(layers, settings.seed())) {
            long more = floatBytes[layer] - int4Bytes[layer];
            if (used + more <= budgetBytes) {
                start[layer] = FLOAT;
                used += more;
            }
        }
        int floats = Arrays.stream(start).sum();
        int[] allInt4 = new int[layers];
        int[] firstFloat = new int[layers];
        int[] lastFloat = new int[layers];
        Arrays.fill(firstFloat, 0, floats, FLOAT);
        Arrays.fill(lastFloat, layers - floats, layers, FLOAT);
        List<int[]> references = new ArrayList<>(List.of(allInt4));
        for (int[] reference : List.of(firstFloat, lastFloat)) {
            // a reference over the budget (blocks of unequal sizes) is scored as all 4-bit: no comparison is made
            references.add(bytes(reference, int4Bytes, floatBytes) <= budgetBytes ? reference : allInt4);
        }
        LevelSearch.Outcome outcome = LevelSearch.evolve(config, weights, 2, start,
                candidate -> bytes(candidate, int4Bytes, floatBytes) <= budgetBytes, references,
                (layer, option, stats, file) -> writer.write(layer, option == INT4, stats, file),
                SearchProgress.databaseFingerprint(config, weights, "widths " + variantKey, 0, new double[] {4, 32},
                        hessian, windows),
                hessian, STAGE, calibration, windows, settings, directory, listener);
        String[] widths = new String[layers];
        for (int layer = 0; layer < layers; layer++) {
            widths[layer] = outcome.best()[layer] == FLOAT ? "float" : "int4";
        }
        double[] referenceDivergences = outcome.referenceDivergences();
        return new Result(widths, budgetBytes, bytes(outcome.best(), int4Bytes, floatBytes),
                Arrays.stream(int4Bytes).sum(), Arrays.stream(floatBytes).sum(), outcome.startDivergence(),
                outcome.bestDivergence(), referenceDivergences[0], referenceDivergences[1], referenceDivergences[2],
                outcome.trace(), settings.generations(), settings.offspring(), settings.stageWindows().clone(),
                settings.stageSurvivors().clone(), settings.seed(), outcome.evaluations(), calibration.window(),
                outcome.blocksOpened());
    }

    private static long bytes(int[] widths, long[] int4Bytes, long[] floatBytes) {
        long total = 0;
        for (int layer = 0; layer < widths.length; layer++) {
            total += widths[layer] == FLOAT ? floatBytes[layer] : int4Bytes[layer];
        }
        return total;
    }

    /** 0..n-1 in the seed's order (Fisher-Yates). */
    private static int[] shuffled(int n, long seed) {
        int[] order = java.util.stream.IntStream.range(0, n).toArray();
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
