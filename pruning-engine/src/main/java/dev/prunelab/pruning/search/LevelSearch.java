package dev.prunelab.pruning.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.CalibrationGraphs;
import dev.prunelab.pruning.calibration.GraphSession;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.memory.PruneMemory;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Predicate;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Each block's sparsity found by search instead of set by a rule: EvoPress's (1 + λ) evolutionary search
 * (Sieberling et al., "EvoPress: Towards Optimal Dynamic Model Compression via Evolutionary Search", ICML 2025)
 * over the blocks' levels on a ladder around the target.
 * <ol>
 * <li><b>Database.</b> One dense calibration pass: each block's statistics on the dense model's activations, and
 * the block pruned at every level of the ladder (target + k·step) by the caller's {@link BlockVariant} (unstructured:
 * the method's mask at that sparsity; structured: that share of heads or channels removed), each kept as an ONNX
 * Runtime block session.</li>
 * <li><b>Fitness.</b> The mean KL divergence per token from the dense model's next-token distribution to the
 * candidate's, on the first calibration windows (the candidate: every block at its level from the database).</li>
 * <li><b>Search.</b> From uniform (every block at the target), each generation mutates the parent into λ offspring
 * by level switches (one block a step up, another a step down, one to three times), which keeps the mean level
 * exactly the target; the offspring are selected in stages on growing numbers of windows (the best few on a few
 * windows go on to more), and the best of the last stage replaces the parent where its divergence is lower.</li>
 * </ol>
 * The mean over blocks is the target, as OWL's allocation keeps it: the sparsity over all weights is the target where
 * the blocks are equally large (the decoder blocks of every model this lab prunes). Deterministic for a
 * seed. The database holds 2K + 1 pruned copies of every block's linear weights (11 float32 copies at the defaults:
 * stories15M 0.26 GB, an 8B model 0.3 TB) on disk ({@link LevelDatabase}), written block by block as the dense pass
 * goes; the search opens them as ONNX Runtime sessions, at most {@link Settings#cacheBytes} at once, and scores a
 * selection stage block by block over all its candidates, so that each block's level is opened once a stage. The
 * prune's memory plan counts the cache and the candidates' states ({@link #memoryPlan}). The search's directory also
 * keeps its progress ({@link SearchProgress}): an interrupted search resumes with the same result it would have had.
 */
public final class LevelSearch {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * @param step             the ladder's spacing
     * @param stepsEachSide    K: the ladder is target + k·step, |k| &lt;= K, clipped to [step, {@value #MAX_LEVEL}]
     * @param generations      how many generations
     * @param offspring        λ, offspring per generation
     * @param stageWindows     calibration windows each selection stage scores on, growing
     * @param stageSurvivors   how many candidates each stage keeps (the last: 1)
     * @param seed             the mutations' seed
     * @param cacheBytes       the database's blocks the search keeps open at once, in bytes of their weights
     *                         ({@link LevelDatabase}): a database within it is opened once
     */
    public record Settings(double step, int stepsEachSide, int generations, int offspring, int[] stageWindows,
            int[] stageSurvivors, long seed, long cacheBytes) {
        public Settings {
            if (cacheBytes <= 0) {
                throw new IllegalArgumentException("the search's cache needs a positive size, was " + cacheBytes);
            }
            if (stageWindows.length == 0 || stageWindows.length != stageSurvivors.length
                    || stageSurvivors[stageSurvivors.length - 1] != 1) {
                throw new IllegalArgumentException("stages need windows and survivors each, the last keeping 1");
            }
            if (step <= 0 || stepsEachSide < 1 || generations < 0 || offspring < 1) {
                throw new IllegalArgumentException("step, steps each side and offspring must be positive");
            }
        }

        /** Settings with the default cache ({@link #DEFAULT_CACHE_BYTES}). */
        public Settings(double step, int stepsEachSide, int generations, int offspring, int[] stageWindows,
                int[] stageSurvivors, long seed) {
            this(step, stepsEachSide, generations, offspring, stageWindows, stageSurvivors, seed, DEFAULT_CACHE_BYTES);
        }

        /**
         * The lab's defaults: steps of 0.05 up to 0.25 either side, 40 generations of 16 offspring, scored on 2
         * windows, the best 4 of them on 8 (EvoPress's multi-step selection at this lab's model sizes).
         */
        public static Settings defaults(long seed) {
            return new Settings(0.05, 5, 40, 16, new int[] {2, 8}, new int[] {4, 1}, seed);
        }

        /** The same settings with another cache size. */
        public Settings withCacheBytes(long bytes) {
            return new Settings(step, stepsEachSide, generations, offspring, stageWindows, stageSurvivors, seed, bytes);
        }

        /** What determines the search's course once the database is built (the cache only its speed). */
        String key() {
            return "generations " + generations + " offspring " + offspring + " windows "
                    + Arrays.toString(stageWindows) + " survivors " + Arrays.toString(stageSurvivors) + " seed " + seed;
        }
    }

    /**
     * Blocks the search keeps open by default: 2 GiB of float32 weights, the whole database of a model with up to
     * about 48M linear weights at the default 11 levels (stories15M's is 0.26 GB); a larger model's blocks are opened
     * from disk as each selection stage reaches them.
     */
    public static final long DEFAULT_CACHE_BYTES = 2L << 30;

    /** The stage timer's name for the search's own seconds (the database's are calibration and pruning). */
    public static final String STAGE = "layer_search";

    /** The highest level of the ladder: a block keeps at least this share of its weights. */
    public static final double MAX_LEVEL = 0.95;

    /**
     * What the search found, written beside prune-report.json as {@value #FILE_NAME}.
     *
     * @param allocation         each block's sparsity
     * @param ladder             the levels the blocks could take
     * @param uniformDivergence  mean KL divergence per token (nats) of every block at the target, on the last
     *                           stage's windows
     * @param foundDivergence    the same for the allocation found
     * @param divergenceByGeneration the parent's divergence after each generation
     * @param evaluations        candidate scorings (a candidate on one stage's windows is one)
     * @param windowTokens       tokens per window
     * @param blocksOpened       block sessions opened from the database on disk by the process that finished the
     *                           search (a block at a level the cache had closed is opened again); null in results
     *                           written before the database was on disk
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String method, double target, double[] allocation, double[] ladder, double uniformDivergence,
            double foundDivergence, double[] divergenceByGeneration, int generations, int offspring,
            int[] stageWindows, int[] stageSurvivors, long seed, int evaluations, int windowTokens,
            Integer blocksOpened) {
        public static final String FILE_NAME = "layer-search.json";
    }

    /** What the default search at {@code target} holds in memory ({@link dev.prunelab.pruning.memory.PruneMemory}). */
    public static PruneMemory.Search memoryPlan(double target) {
        Settings settings = Settings.defaults(0);
        return memoryPlan(highestStep(target, settings) - lowestStep(target, settings) + 1);
    }

    /** What the default search over {@code options} choices per block holds in memory. */
    static PruneMemory.Search memoryPlan(int options) {
        Settings settings = Settings.defaults(0);
        int candidateWindows = 0;
        int candidates = settings.offspring();
        for (int stage = 0; stage < settings.stageWindows().length; stage++) {
            candidateWindows = Math.max(candidateWindows, candidates * settings.stageWindows()[stage]);
            candidates = Math.min(candidates, settings.stageSurvivors()[stage]);
        }
        return new PruneMemory.Search(Math.max(1, options),
                settings.stageWindows()[settings.stageWindows().length - 1], settings.cacheBytes(), candidateWindows);
    }

    /** The highest level the default search at {@code target} may give a block. */
    public static double highestLevel(double target) {
        Settings settings = Settings.defaults(0);
        return level(target, highestStep(target, settings), settings.step());
    }

    /**
     * target + k·step, rounded to the step's decimals, so that target 0.7 and k = 1 is 0.75 and not
     * 0.7500000000000001.
     */
    private static double level(double target, int k, double step) {
        return Math.round((target + k * step) * 1e9) / 1e9;
    }

    private static int lowestStep(double target, Settings settings) {
        return -Math.min(settings.stepsEachSide(), (int) Math.floor((target - settings.step()) / settings.step() + 1e-9));
    }

    private static int highestStep(double target, Settings settings) {
        return Math.min(settings.stepsEachSide(), (int) Math.floor((MAX_LEVEL - target) / settings.step() + 1e-9));
    }

    private final DecoderConfig config;
    private final int layers;
    private final int width;
    private final int window;
    private final int options;        // choices per block: a candidate is each block's index into them
    private final int[] start;        // the candidate the search starts from
    private final Predicate<int[]> allowed; // a mutant outside it is not a candidate (a budget it breaks)
    private final LevelDatabase database;
    private final Map<String, Double> scored = new LinkedHashMap<>(); // candidate and window count -> divergence
    private GraphSession head;
    private List<float[]> evaluationInputs;  // the first windows' hidden states after the embedding
    private final List<float[]> denseProbabilities = new ArrayList<>(); // [window x vocab] per window
    private double[] denseNegativeEntropy;   // Σ p log p over each window's tokens
    private float[] logProbabilityScratch;   // one window's candidate log-probabilities, reused
    private int evaluations;

    private LevelSearch(DecoderConfig config, TensorSource weights, int options, int[] start,
            Predicate<int[]> allowed, Settings settings, BlockCalibration calibration, Path directory) {
        this.config = config;
        this.layers = config.numLayers();
        this.width = calibration.width();
        this.window = calibration.window();
        this.options = options;
        this.start = start.clone();
        this.allowed = allowed;
        this.database = new LevelDatabase(directory, config, weights, options, width, calibration.threads(),
                settings.cacheBytes());
    }

    /** One block at one of the search's choices, from its dense statistics. */
    @FunctionalInterface
    interface BlockOption {
        /** Writes block {@code layer} at choice {@code option} as {@link BlockVariant#write} does. */
        void write(int layer, int option, Map<FamilyGraphs.Tap, InputStatistics> statistics, Path file);
    }

    /**
     * What the evolution found: each block's choice, the divergences (and those of the caller's reference candidates,
     * on the last stage's windows) and the work it took.
     */
    record Outcome(int[] best, double startDivergence, double bestDivergence, double[] trace,
            double[] referenceDivergences, int evaluations, int blocksOpened) {
    }

    /** A block pruned at one level, from its dense statistics. */
    @FunctionalInterface
    public interface BlockVariant {
        /**
         * Writes the block's tensors that differ from the model's at {@code level} (float32 safetensors, the
         * model's own names) to {@code file}, under a temporary name moved into place once complete.
         */
        void write(int layer, double level, Map<FamilyGraphs.Tap, InputStatistics> statistics, Path file);
    }

    /**
     * Searches each block's level around {@code target} on {@code windows} (the request's calibration windows: every
     * window for the database's statistics, the first ones for the fitness), with the database and the search's
     * state in {@code directory}: a search interrupted there resumes where it stopped when called again with the
     * same model, windows, method and settings (its database's finished blocks and its finished generations are
     * kept; anything else there is started over). The directory is the caller's to delete once the result is used.
     *
     * @param method     what prunes the blocks, for the record
     * @param variantKey everything besides the model, target and windows that decides the blocks' pruned weights
     *                   (the method and its settings): a database built under another key is built again
     * @param hessian    whether the variants read XᵀX (SparseGPT)
     */
    public static Result search(DecoderConfig config, TensorSource weights, String method, String variantKey,
            double target, boolean hessian, BlockVariant variant, BlockCalibration calibration, List<int[]> windows,
            Settings settings, Path directory, ProgressListener listener) {
        int needed = settings.stageWindows()[settings.stageWindows().length - 1];
        if (windows.size() < needed) {
            throw new InvalidSetting("samples", "the layer search scores candidates on " + needed
                    + " calibration windows; the request has " + windows.size());
        }
        if (lowestStep(target, settings) == 0 || highestStep(target, settings) == 0) {
            throw new InvalidSetting("sparsity", "the layer search moves blocks " + settings.step()
                    + " either side of the target, within [" + settings.step() + ", " + MAX_LEVEL + "]; "
                    + target + " leaves no room");
        }
        int lowest = lowestStep(target, settings);
        double[] ladder = ladder(target, settings);
        int[] uniform = new int[config.numLayers()];
        Arrays.fill(uniform, -lowest); // every block at the target
        Outcome outcome = evolve(config, weights, ladder.length, uniform, candidate -> true, List.of(),
                (layer, option, stats, file) -> variant.write(layer, ladder[option], stats, file),
                SearchProgress.databaseFingerprint(config, weights, variantKey, target, ladder, hessian, windows),
                hessian, STAGE, calibration, windows, settings, directory, listener);
        double[] allocation = new double[config.numLayers()];
        for (int layer = 0; layer < allocation.length; layer++) {
            allocation[layer] = ladder[outcome.best()[layer]];
        }
        return new Result(method, target, allocation, ladder, outcome.startDivergence(), outcome.bestDivergence(),
                outcome.trace(), settings.generations(), settings.offspring(), settings.stageWindows().clone(),
                settings.stageSurvivors().clone(), settings.seed(), outcome.evaluations(), calibration.window(),
                outcome.blocksOpened());
    }

    /**
     * The evolutionary search over each block's choice among {@code options}, from {@code start}, each mutant kept
     * only where {@code allowed}: the database built (or resumed) in {@code directory} under {@code fingerprint},
     * the dense model scored, then the generations (resumed from those finished there under the same settings), timed
     * as {@code stage}; {@code references} are scored after it on the last stage's windows, for comparison.
     */
    static Outcome evolve(DecoderConfig config, TensorSource weights, int options, int[] start,
            Predicate<int[]> allowed, List<int[]> references, BlockOption writer, String fingerprint, boolean hessian,
            String stage, BlockCalibration calibration, List<int[]> windows, Settings settings, Path directory,
            ProgressListener listener) {
        int needed = settings.stageWindows()[settings.stageWindows().length - 1];
        LevelSearch search = new LevelSearch(config, weights, options, start, allowed, settings, calibration,
                directory);
        boolean existed = Files.isDirectory(directory);
        SearchProgress progress = SearchProgress.open(directory, fingerprint, settings.key());
        try {
            search.database.checkDisk(STAGE.equals(stage) ? "layerSparsity" : "weightBudget"); // the field it refuses
        } catch (InvalidSetting refused) {
            if (!existed) {
                SearchProgress.remove(directory); // refused before any work: nothing left behind
            }
            throw refused;
        }
        try {
            search.buildDatabase(weights, hessian, writer, calibration, windows, listener);
            search.evaluationInputs = calibration.embed(weights, windows.subList(0, needed));
            search.head = calibration.timer().time("calibration_forward", () -> new GraphSession(
                    CalibrationGraphs.head(config, weights, calibration.width()), calibration.threads()));
            search.scoreDense(weights, calibration);
            return calibration.timer().time(stage, () -> {
                Outcome found = search.evolve(settings, progress, listener);
                double[] referenceDivergences = search.divergences(references, needed);
                return new Outcome(found.best(), found.startDivergence(), found.bestDivergence(), found.trace(),
                        referenceDivergences, found.evaluations(), search.database.sessionsOpened());
            });
        } finally {
            if (search.head != null) {
                search.head.close();
            }
            search.database.close();
        }
    }

    /**
     * Where a prune into {@code out} keeps its search (a hidden directory beside the output, as its spill file): a
     * prune run again into the same output after an interruption finds the search's database and generations there.
     */
    public static Path directoryBeside(Path out) {
        Path absolute = out.toAbsolutePath();
        return absolute.resolveSibling("." + absolute.getFileName() + ".layer-search");
    }

    /** Deletes a search's directory once its result is used (the search's own files, then the directory if empty). */
    public static void removeDirectory(Path directory) {
        SearchProgress.remove(directory);
    }

    /** The ladder's levels around {@code target}, lowest first. */
    private static double[] ladder(double target, Settings settings) {
        int lowest = lowestStep(target, settings);
        int highest = highestStep(target, settings);
        double[] levels = new double[highest - lowest + 1];
        for (int k = lowest; k <= highest; k++) {
            levels[k - lowest] = level(target, k, settings.step());
        }
        return levels;
    }

    /**
     * One dense pass: each block's statistics, and the block pruned at every level onto disk, from the first block
     * the database lacks (the dense states entering it read back when an earlier build saved them).
     */
    private void buildDatabase(TensorSource weights, boolean hessian, BlockOption writer,
            BlockCalibration calibration, List<int[]> windows, ProgressListener listener) {
        int first = 0;
        List<float[]> hidden = null;
        for (int layer = layers; layer > 0 && hidden == null; layer--) {
            if (allComplete(layer)) {
                hidden = layer == layers ? List.of()
                        : database.loadHidden(layer - 1, windows.size(), window * width).map(ArrayList::new)
                                .orElse(null);
                first = hidden == null ? 0 : layer;
            }
        }
        if (hidden == null) {
            hidden = calibration.embed(weights, windows);
        }
        listener.progress(RunStage.CALIBRATE, first, layers);
        for (int layer = first; layer < layers; layer++) {
            // dense statistics, and the dense outputs for the next block: every level is pruned from the same inputs
            Map<FamilyGraphs.Tap, InputStatistics> stats = calibration.collect(weights, layer, hidden, hessian,
                    layer + 1 < layers);
            for (int option = 0; option < options; option++) {
                int current = layer;
                int choice = option;
                Path file = database.file(layer, option);
                calibration.timer().time("pruning_math", () -> {
                    writer.write(current, choice, stats, file);
                    return null;
                });
            }
            if (layer + 1 < layers) {
                database.saveHidden(layer, hidden);
            }
            listener.progress(RunStage.CALIBRATE, layer + 1, layers);
        }
    }

    /** Whether blocks [0, count) are all in the database. */
    private boolean allComplete(int count) {
        for (int layer = 0; layer < count; layer++) {
            if (!database.complete(layer)) {
                return false;
            }
        }
        return true;
    }

    /** The dense model's next-token probabilities on the evaluation windows, and their Σ p log p. */
    private void scoreDense(TensorSource weights, BlockCalibration calibration) {
        denseNegativeEntropy = new double[evaluationInputs.size()];
        List<float[]> states = new ArrayList<>(evaluationInputs);
        for (int layer = 0; layer < layers; layer++) {
            states = calibration.forward(weights, layer, states);
        }
        for (int w = 0; w < states.size(); w++) {
            FloatBuffer logProbs = logProbabilities(states.get(w));
            float[] probabilities = new float[logProbs.remaining()];
            double negativeEntropy = 0;
            for (int i = 0; i < probabilities.length; i++) {
                float logP = logProbs.get(i);
                probabilities[i] = (float) Math.exp(logP);
                negativeEntropy += probabilities[i] * (double) logP;
            }
            denseProbabilities.add(probabilities);
            denseNegativeEntropy[w] = negativeEntropy;
        }
    }

    private FloatBuffer logProbabilities(float[] states) {
        return head.runHiddenBatch(List.of(states), 0, 1, window, width, Set.of(CalibrationGraphs.LOG_PROBS_OUTPUT))
                .get(CalibrationGraphs.LOG_PROBS_OUTPUT);
    }

    /** {@link #divergences} of one candidate. */
    double divergence(int[] steps, int windows) {
        return divergences(List.of(steps), windows)[0];
    }

    /**
     * Mean KL(dense ‖ candidate) per token over the first {@code windows} evaluation windows of each candidate, the
     * candidate's block l at its choice steps[l]. Σ_v p (log p − log q) = Σ p log p − Σ p log q, the first
     * term the dense model's own. Block by block over all the candidates at once, each block's level opened once for
     * every candidate that takes it ({@link LevelDatabase}); each window still runs alone through each block, so a
     * candidate's figure does not depend on which others were scored with it.
     */
    double[] divergences(List<int[]> candidates, int windows) {
        double[] result = new double[candidates.size()];
        Map<String, Integer> pending = new LinkedHashMap<>(); // key -> index into result, scored here
        for (int c = 0; c < candidates.size(); c++) {
            String key = key(candidates.get(c), windows);
            Double known = scored.get(key);
            if (known != null) {
                result[c] = known;
            } else if (!pending.containsKey(key)) {
                pending.put(key, c);
            }
        }
        List<Integer> todo = new ArrayList<>(pending.values());
        float[][][] states = new float[todo.size()][windows][];
        for (int t = 0; t < todo.size(); t++) {
            for (int w = 0; w < windows; w++) {
                states[t][w] = evaluationInputs.get(w);
            }
        }
        for (int layer = 0; layer < layers; layer++) {
            Map<Integer, List<Integer>> byLevel = new TreeMap<>();
            for (int t = 0; t < todo.size(); t++) {
                byLevel.computeIfAbsent(candidates.get(todo.get(t))[layer], k -> new ArrayList<>()).add(t);
            }
            for (Map.Entry<Integer, List<Integer>> level : byLevel.entrySet()) {
                GraphSession session = database.session(layer, level.getKey());
                for (int t : level.getValue()) {
                    for (int w = 0; w < windows; w++) {
                        FloatBuffer out = session.runHiddenBatch(List.of(states[t][w]), 0, 1, window, width,
                                Set.of(CalibrationGraphs.HIDDEN_OUTPUT)).get(CalibrationGraphs.HIDDEN_OUTPUT);
                        float[] next = new float[window * width];
                        out.get(next);
                        states[t][w] = next;
                    }
                }
            }
        }
        for (int t = 0; t < todo.size(); t++) {
            evaluations++;
            double total = 0;
            for (int w = 0; w < windows; w++) {
                FloatBuffer logProbs = logProbabilities(states[t][w]);
                states[t][w] = null;
                if (logProbabilityScratch == null) {
                    logProbabilityScratch = new float[logProbs.remaining()];
                }
                logProbs.get(logProbabilityScratch);
                total += denseNegativeEntropy[w] - dot(denseProbabilities.get(w), logProbabilityScratch);
            }
            double divergence = total / ((double) windows * window);
            scored.put(key(candidates.get(todo.get(t)), windows), divergence);
        }
        for (int c = 0; c < candidates.size(); c++) {
            result[c] = scored.get(key(candidates.get(c), windows));
        }
        return result;
    }

    private static String key(int[] steps, int windows) {
        return Arrays.toString(steps) + "@" + windows;
    }

    /** Σ p·x over a window, in float lanes per vocabulary row and in double across rows. */
    private static double dot(float[] p, float[] values) {
        double total = 0;
        int rowLength = Math.max(F.length(), 4096);
        for (int from = 0; from < p.length; from += rowLength) {
            int to = Math.min(p.length, from + rowLength);
            FloatVector sum = FloatVector.zero(F);
            int i = from;
            for (; i + F.length() <= to; i += F.length()) {
                sum = FloatVector.fromArray(F, p, i).fma(FloatVector.fromArray(F, values, i), sum);
            }
            double part = sum.reduceLanes(VectorOperators.ADD);
            for (; i < to; i++) {
                part += p[i] * values[i];
            }
            total += part;
        }
        return total;
    }

    private record Candidate(int[] steps, double divergence) {
    }

    /**
     * The (1 + λ) search from uniform; after each generation its state goes to {@code progress}, and a search that
     * finds generations already done there replays their mutations (the random draws of each generation depend only
     * on the parent it started from) and goes on from the last one, with the scores it had.
     */
    private Outcome evolve(Settings settings, SearchProgress progress, ProgressListener listener) {
        int[] stageWindows = settings.stageWindows();
        int finalWindows = stageWindows[stageWindows.length - 1];
        SplittableRandom random = new SplittableRandom(settings.seed());
        SearchProgress.Generations done = progress.generations();
        int[] parent = start.clone();
        double[] trace = new double[settings.generations()];
        double parentDivergence;
        double uniformDivergence;
        int start = 0;
        if (done != null && done.parents().size() <= settings.generations() && !done.parents().isEmpty()) {
            scored.putAll(done.scored());
            evaluations = done.evaluations();
            uniformDivergence = done.uniformDivergence();
            start = done.parents().size() - 1;          // parents[g] = the parent generation g started from
            for (int generation = 0; generation < start; generation++) {
                offspring(done.parents().get(generation), settings, random);
                trace[generation] = done.trace()[generation];
            }
            parent = done.parents().get(start).clone();
            parentDivergence = start == 0 ? uniformDivergence : trace[start - 1];
        } else {
            parentDivergence = divergence(parent, finalWindows);
            uniformDivergence = parentDivergence;
        }
        List<int[]> parents = new ArrayList<>(done == null ? List.of() : done.parents().subList(0, start));
        parents.add(parent.clone());
        listener.progress(RunStage.CALIBRATE, start, settings.generations());
        for (int generation = start; generation < settings.generations(); generation++) {
            List<int[]> survivors = offspring(parent, settings, random);
            for (int stage = 0; stage < stageWindows.length && !survivors.isEmpty(); stage++) {
                double[] divergences = divergences(survivors, stageWindows[stage]);
                List<Candidate> ranked = new ArrayList<>();
                for (int c = 0; c < survivors.size(); c++) {
                    ranked.add(new Candidate(survivors.get(c), divergences[c]));
                }
                ranked.sort(Comparator.comparingDouble(Candidate::divergence));
                survivors = new ArrayList<>();
                for (Candidate kept : ranked.subList(0, Math.min(settings.stageSurvivors()[stage], ranked.size()))) {
                    survivors.add(kept.steps());
                }
            }
            if (!survivors.isEmpty()) {
                double best = divergence(survivors.get(0), finalWindows);
                if (best < parentDivergence) {
                    parent = survivors.get(0);
                    parentDivergence = best;
                }
            }
            trace[generation] = parentDivergence;
            parents.add(parent.clone());
            progress.generationDone(new SearchProgress.Generations(parents, Arrays.copyOf(trace, generation + 1),
                    uniformDivergence, evaluations, scored));
            listener.progress(RunStage.CALIBRATE, generation + 1, settings.generations());
        }
        return new Outcome(parent, uniformDivergence, parentDivergence, trace, null, evaluations,
                database.sessionsOpened());
    }

    /** A generation's offspring of {@code parent}: up to λ distinct mutants, none the parent itself. */
    private List<int[]> offspring(int[] parent, Settings settings, SplittableRandom random) {
        Set<String> seen = new LinkedHashSet<>();
        seen.add(Arrays.toString(parent));
        List<int[]> offspring = new ArrayList<>();
        for (int attempt = 0; offspring.size() < settings.offspring() && attempt < 20 * settings.offspring();
                attempt++) {
            int[] child = mutate(parent, random);
            if (child != null && seen.add(Arrays.toString(child))) {
                offspring.add(child);
            }
        }
        return offspring;
    }

    /** One to three level switches: a block a step up, another a step down; null when no switch is possible. */
    private int[] mutate(int[] parent, SplittableRandom random) {
        int[] child = parent.clone();
        int switches = 1 + random.nextInt(3);
        boolean changed = false;
        for (int s = 0; s < switches; s++) {
            int up = random.nextInt(layers);
            int down = random.nextInt(layers);
            if (up == down || child[up] >= options - 1 || child[down] <= 0) {
                continue;
            }
            child[up]++;
            child[down]--;
            changed = true;
        }
        return changed && allowed.test(child) ? child : null;
    }
}
