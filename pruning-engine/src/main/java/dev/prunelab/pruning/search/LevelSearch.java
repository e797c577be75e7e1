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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
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
 * seed. The database holds 2K + 1 pruned copies of every block's linear weights in ONNX Runtime sessions, in
 * memory: 11 float32 copies of the model's linear weights at the defaults (stories15M: 0.26 GB), counted in the
 * prune's memory plan ({@link #memoryPlan}), so a model too large for it is refused before any work.
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
     */
    public record Settings(double step, int stepsEachSide, int generations, int offspring, int[] stageWindows,
            int[] stageSurvivors, long seed) {
        public Settings {
            if (stageWindows.length == 0 || stageWindows.length != stageSurvivors.length
                    || stageSurvivors[stageSurvivors.length - 1] != 1) {
                throw new IllegalArgumentException("stages need windows and survivors each, the last keeping 1");
            }
            if (step <= 0 || stepsEachSide < 1 || generations < 0 || offspring < 1) {
                throw new IllegalArgumentException("step, steps each side and offspring must be positive");
            }
        }

        /**
         * The lab's defaults: steps of 0.05 up to 0.25 either side, 40 generations of 16 offspring, scored on 2
         * windows, the best 4 of them on 8 (EvoPress's multi-step selection at this lab's model sizes).
         */
        public static Settings defaults(long seed) {
            return new Settings(0.05, 5, 40, 16, new int[] {2, 8}, new int[] {4, 1}, seed);
        }
    }

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
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String method, double target, double[] allocation, double[] ladder, double uniformDivergence,
            double foundDivergence, double[] divergenceByGeneration, int generations, int offspring,
            int[] stageWindows, int[] stageSurvivors, long seed, int evaluations, int windowTokens) {
        public static final String FILE_NAME = "layer-search.json";
    }

    /** What the default search at {@code target} holds in memory ({@link dev.prunelab.pruning.memory.PruneMemory}). */
    public static PruneMemory.Search memoryPlan(double target) {
        Settings settings = Settings.defaults(0);
        int lowest = lowestStep(target, settings);
        int highest = highestStep(target, settings);
        return new PruneMemory.Search(Math.max(1, highest - lowest + 1),
                settings.stageWindows()[settings.stageWindows().length - 1]);
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
    private final double target;
    private final double step;
    private final int lowestStep;   // k of the ladder's lowest level (negative)
    private final int highestStep;  // k of its highest
    private final GraphSession[][] blockSessions; // [layer][k - lowestStep]
    private final Map<String, Double> scored = new HashMap<>(); // candidate and window count -> divergence
    private GraphSession head;
    private List<float[]> evaluationInputs;  // the first windows' hidden states after the embedding
    private final List<float[]> denseProbabilities = new ArrayList<>(); // [window x vocab] per window
    private double[] denseNegativeEntropy;   // Σ p log p over each window's tokens
    private float[] logProbabilityScratch;   // one window's candidate log-probabilities, reused
    private int evaluations;

    private LevelSearch(DecoderConfig config, double target, Settings settings, BlockCalibration calibration) {
        this.config = config;
        this.layers = config.numLayers();
        this.width = calibration.width();
        this.window = calibration.window();
        this.target = target;
        this.step = settings.step();
        this.lowestStep = lowestStep(target, settings);
        this.highestStep = highestStep(target, settings);
        this.blockSessions = new GraphSession[layers][highestStep - lowestStep + 1];
    }

    /** A block pruned at one level, from its dense statistics: the model's weights with the block's replaced. */
    @FunctionalInterface
    public interface BlockVariant {
        TensorSource at(int layer, double level, Map<FamilyGraphs.Tap, InputStatistics> statistics);
    }

    /**
     * Searches each block's level around {@code target} on {@code windows} (the request's calibration windows: every
     * window for the database's statistics, the first ones for the fitness).
     *
     * @param method  what prunes the blocks, for the record
     * @param hessian whether the variants read XᵀX (SparseGPT)
     */
    public static Result search(DecoderConfig config, TensorSource weights, String method, double target,
            boolean hessian, BlockVariant variant, BlockCalibration calibration, List<int[]> windows, Settings settings,
            ProgressListener listener) {
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
        LevelSearch search = new LevelSearch(config, target, settings, calibration);
        try {
            search.buildDatabase(weights, hessian, variant, calibration, windows, listener);
            search.evaluationInputs = calibration.embed(weights, windows.subList(0, needed));
            search.head = calibration.timer().time("calibration_forward", () -> new GraphSession(
                    CalibrationGraphs.head(config, weights, calibration.width()), calibration.threads()));
            search.scoreDense(weights, calibration);
            return calibration.timer().time(STAGE, () -> search.evolve(method, settings, listener));
        } finally {
            if (search.head != null) {
                search.head.close();
            }
            for (GraphSession[] block : search.blockSessions) {
                for (GraphSession session : block) {
                    if (session != null) {
                        session.close();
                    }
                }
            }
        }
    }

    /** The ladder's levels, lowest first. */
    double[] ladder() {
        double[] levels = new double[highestStep - lowestStep + 1];
        for (int k = lowestStep; k <= highestStep; k++) {
            levels[k - lowestStep] = level(k);
        }
        return levels;
    }

    private double level(int k) {
        return level(target, k, step);
    }

    /** One dense pass: each block's statistics, and the block pruned at every level into a session. */
    private void buildDatabase(TensorSource weights, boolean hessian, BlockVariant variant,
            BlockCalibration calibration, List<int[]> windows, ProgressListener listener) {
        List<float[]> hidden = calibration.embed(weights, windows);
        listener.progress(RunStage.CALIBRATE, 0, layers);
        for (int layer = 0; layer < layers; layer++) {
            // dense statistics, and the dense outputs for the next block: every level is pruned from the same inputs
            Map<FamilyGraphs.Tap, InputStatistics> stats = calibration.collect(weights, layer, hidden, hessian,
                    layer + 1 < layers);
            for (int k = lowestStep; k <= highestStep; k++) {
                int current = layer;
                double level = level(k);
                TensorSource pruned = calibration.timer().time("pruning_math", () -> variant.at(current, level, stats));
                try (pruned) {
                    blockSessions[layer][k - lowestStep] = calibration.timer().time("calibration_forward",
                            () -> new GraphSession(CalibrationGraphs.block(config, pruned, current, width, true),
                                    calibration.threads()));
                }
            }
            listener.progress(RunStage.CALIBRATE, layer + 1, layers);
        }
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

    /**
     * Mean KL(dense ‖ candidate) per token over the first {@code windows} evaluation windows, the candidate's block
     * l at level target + steps[l]·step. Σ_v p (log p − log q) = Σ p log p − Σ p log q, the first term the dense
     * model's own.
     */
    double divergence(int[] steps, int windows) {
        String key = Arrays.toString(steps) + "@" + windows;
        Double known = scored.get(key);
        if (known != null) {
            return known;
        }
        evaluations++;
        double total = 0;
        for (int w = 0; w < windows; w++) {
            float[] states = evaluationInputs.get(w);
            for (int layer = 0; layer < layers; layer++) {
                FloatBuffer out = blockSessions[layer][steps[layer] - lowestStep]
                        .runHiddenBatch(List.of(states), 0, 1, window, width, Set.of(CalibrationGraphs.HIDDEN_OUTPUT))
                        .get(CalibrationGraphs.HIDDEN_OUTPUT);
                states = new float[window * width];
                out.get(states);
            }
            FloatBuffer logProbs = logProbabilities(states);
            if (logProbabilityScratch == null) {
                logProbabilityScratch = new float[logProbs.remaining()];
            }
            logProbs.get(logProbabilityScratch);
            total += denseNegativeEntropy[w] - dot(denseProbabilities.get(w), logProbabilityScratch);
        }
        double divergence = total / ((double) windows * window);
        scored.put(key, divergence);
        return divergence;
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

    private Result evolve(String method, Settings settings, ProgressListener listener) {
        int[] stageWindows = settings.stageWindows();
        int finalWindows = stageWindows[stageWindows.length - 1];
        SplittableRandom random = new SplittableRandom(settings.seed());
        int[] parent = new int[layers]; // uniform: every block at the target
        double parentDivergence = divergence(parent, finalWindows);
        double uniformDivergence = parentDivergence;
        double[] trace = new double[settings.generations()];
        listener.progress(RunStage.CALIBRATE, 0, settings.generations());
        for (int generation = 0; generation < settings.generations(); generation++) {
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
            List<Candidate> survivors = new ArrayList<>();
            for (int[] child : offspring) {
                survivors.add(new Candidate(child, Double.NaN));
            }
            for (int stage = 0; stage < stageWindows.length && !survivors.isEmpty(); stage++) {
                int windows = stageWindows[stage];
                List<Candidate> scoredStage = new ArrayList<>();
                for (Candidate candidate : survivors) {
                    scoredStage.add(new Candidate(candidate.steps(), divergence(candidate.steps(), windows)));
                }
                scoredStage.sort(Comparator.comparingDouble(Candidate::divergence));
                survivors = scoredStage.subList(0, Math.min(settings.stageSurvivors()[stage], scoredStage.size()));
            }
            if (!survivors.isEmpty() && survivors.get(0).divergence() < parentDivergence) {
                parent = survivors.get(0).steps();
                parentDivergence = survivors.get(0).divergence();
            }
            trace[generation] = parentDivergence;
            listener.progress(RunStage.CALIBRATE, generation + 1, settings.generations());
        }
        double[] allocation = new double[layers];
        for (int layer = 0; layer < layers; layer++) {
            allocation[layer] = level(parent[layer]);
        }
        return new Result(method, target, allocation, ladder(), uniformDivergence,
                parentDivergence, trace, settings.generations(), settings.offspring(), stageWindows.clone(),
                settings.stageSurvivors().clone(), settings.seed(), evaluations, window);
    }

    /** One to three level switches: a block a step up, another a step down; null when no switch is possible. */
    private int[] mutate(int[] parent, SplittableRandom random) {
        int[] child = parent.clone();
        int switches = 1 + random.nextInt(3);
        boolean changed = false;
        for (int s = 0; s < switches; s++) {
            int up = random.nextInt(layers);
            int down = random.nextInt(layers);
            if (up == down || child[up] >= highestStep || child[down] <= lowestStep) {
                continue;
            }
            child[up]++;
            child[down]--;
            changed = true;
        }
        return changed ? child : null;
    }
}
