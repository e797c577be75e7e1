package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightDtype;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A budgeted search on one model (the body of {@code POST /api/searches}, docs/search.md): the space a sweep would
 * grid (methods × sparsities/patterns × layer allocations × weight widths, plus structured combinations), the
 * constraints the answer must meet, and the budget. Instead of running every cell at full cost, the gateway screens
 * each candidate cheaply (prune + perplexity on {@code screenWindows} windows, no speed or energy stage), promotes
 * the best third of them (successive halving; Pareto layers on screened perplexity and exported bytes) to full runs
 * with the whole evaluation, and stops when the budget is spent or the front has stopped moving.
 *
 * <p>Runs are ordinary run requests with deterministic ids: the full runs and the dense reference belong to the
 * sweep {@code searchId} (so the sweep view, its front and recommendation, and the dashboard show them as they
 * finish), the screening runs to the sweep {@link #screenSweepId()}.
 *
 * @param evaluation            the full runs' evaluation; it must measure perplexity (the screen ranks on it), and
 *                              an energy stage gives the front its decode J/token axis
 * @param layerSparsities       unstructured layer allocations to search over; absent = [uniform]
 * @param weightBits            weight widths to search over (32 float, 4 int4); absent = [32]
 * @param maxPerplexityIncrease a candidate whose screened perplexity is more than this fraction above the dense
 *                              run's screened perplexity is not promoted, and the recommendation's limit; absent = no
 *                              screening limit and the recommendation's default (0.10)
 * @param minSpeedup            the recommendation's decode speed-up limit (lower 95% bound); absent = any
 * @param maxMemoryMb           a candidate whose screen peaked above this many MiB is not promoted, and the
 *                              recommendation's limit; absent = any
 * @param maxRuns               the most run requests the search may publish, screening runs included; absent = as
 *                              many as the halving asks for
 * @param maxMinutes            no run is proposed after this many minutes from the request; absent = no limit
 * @param parallel              runs in flight at once (one per pruner/evaluator pair); absent = 2
 * @param screenWindows         perplexity windows a screening run scores; absent = 16
 * @param keepOneIn             the halving's rate: one candidate in this many is promoted; absent = 3
 * @param patience              stop once this many full runs in a row (in promotion order) did not join the front;
 *                              absent = 4
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SearchRequest(String searchId, ModelRef model, CalibrationSpec calibration, EvaluationSpec evaluation,
                            List<PruneMethod> methods, List<Double> sparsities, List<String> patterns,
                            StructuredSweep structured, List<LayerSparsity> layerSparsities,
                            List<Integer> weightBits, Integer weightBlock, WeightDtype dtype,
                            Double maxPerplexityIncrease, Double minSpeedup, Double maxMemoryMb,
                            Integer maxRuns, Integer maxMinutes, Integer parallel, Integer screenWindows,
                            Integer keepOneIn, Integer patience) {

    /** Leaves room for {@link #SCREEN_SUFFIX} within {@link SweepRequest#MAX_SWEEP_ID_LENGTH}. */
    public static final int MAX_SEARCH_ID_LENGTH = SweepRequest.MAX_SWEEP_ID_LENGTH - 10;
    public static final String SCREEN_SUFFIX = "-screen";
    public static final int DEFAULT_PARALLEL = 2;
    public static final int DEFAULT_SCREEN_WINDOWS = 16;
    public static final int DEFAULT_KEEP_ONE_IN = 3;
    public static final int DEFAULT_PATIENCE = 4;

    public SearchRequest {
        Check.id("searchId", searchId, MAX_SEARCH_ID_LENGTH);
        Check.present("model", model);
        evaluation = evaluation == null ? EvaluationSpec.defaults() : evaluation;
        if (evaluation.perplexity() == null) {
            throw new InvalidSetting("evaluation.perplexity", "is missing: the search screens candidates on "
                    + "perplexity, so the full runs must measure it too");
        }
        methods = Check.nonEmpty("methods", methods);
        layerSparsities = layerSparsities == null || layerSparsities.isEmpty() ? List.of(LayerSparsity.UNIFORM)
                : Check.nonEmpty("layerSparsities", layerSparsities);
        parallel = positive("parallel", parallel, DEFAULT_PARALLEL);
        screenWindows = positive("screenWindows", screenWindows, DEFAULT_SCREEN_WINDOWS);
        keepOneIn = positive("keepOneIn", keepOneIn, DEFAULT_KEEP_ONE_IN);
        if (keepOneIn < 2) {
            throw new InvalidSetting("keepOneIn", keepOneIn + " must be at least 2 (1 would promote every candidate: "
                    + "submit a sweep instead)");
        }
        patience = positive("patience", patience, DEFAULT_PATIENCE);
        Integer fullWindows = evaluation.perplexity().maxWindows();
        if (fullWindows != null && screenWindows >= fullWindows) {
            throw new InvalidSetting("screenWindows", screenWindows + " must be below evaluation.perplexity"
                    + ".maxWindows (" + fullWindows + "): a screen as long as the full evaluation saves nothing");
        }
        if (maxPerplexityIncrease != null && !(maxPerplexityIncrease >= 0 && Double.isFinite(maxPerplexityIncrease))) {
            throw new InvalidSetting("maxPerplexityIncrease", maxPerplexityIncrease + " must be a finite number >= 0");
        }
        if (minSpeedup != null && !(minSpeedup > 0 && Double.isFinite(minSpeedup))) {
            throw new InvalidSetting("minSpeedup", minSpeedup + " must be a positive finite number");
        }
        if (maxMemoryMb != null && !(maxMemoryMb > 0 && Double.isFinite(maxMemoryMb))) {
            throw new InvalidSetting("maxMemoryMb", maxMemoryMb + " must be a positive finite number");
        }
        if (maxMinutes != null && maxMinutes < 1) {
            throw new InvalidSetting("maxMinutes", maxMinutes + " must be at least 1");
        }
        List<PruneSpec> candidates = candidates(searchId, model, calibration, evaluation, methods, sparsities,
                patterns, structured, layerSparsities, weightBits, weightBlock, dtype);
        if (candidates.isEmpty()) {
            throw new InvalidSetting("methods", "the space has no candidate besides the dense run");
        }
        if (minSpeedup != null && minSpeedup > 1 && candidates.stream().allMatch(SearchRequest::keepsDenseWork)) {
            throw new InvalidSetting("minSpeedup", minSpeedup + " > 1 contradicts the space: every candidate keeps "
                    + "float matrices of the dense shape, whose zeros save no work (add weightBits 4 or structured)");
        }
        int firstRung = 2 + candidates.size() + 1;
        if (maxRuns != null && maxRuns < firstRung) {
            throw new InvalidSetting("maxRuns", maxRuns + " is too small: the dense run, its screen, the "
                    + candidates.size() + " candidates' screens and one full run need " + firstRung);
        }
    }

    /** The sweep id of the screening runs. */
    public String screenSweepId() {
        return searchId + SCREEN_SUFFIX;
    }

    /** The candidates in a fixed order (allocations, then the sweep's order), the dense reference left out. */
    public List<PruneSpec> candidates() {
        return candidates(searchId, model, calibration, evaluation, methods, sparsities, patterns, structured,
                layerSparsities, weightBits, weightBlock, dtype);
    }

    /** Magnitude at sparsity 0: the model exported unpruned, every ratio's reference. */
    public PruneSpec dense() {
        return new PruneSpec(PruneMethod.MAGNITUDE, 0.0, null, null, LayerSparsity.UNIFORM, dtype);
    }

    /** The dense reference with the full evaluation (its energy stage unpaired: it is the pair's other half). */
    public RunRequested denseRun(Instant occurredAt) {
        return new RunConfiguration(model, dense(), calibration, evaluation).request(searchId, occurredAt, searchId);
    }

    /** A candidate with the full evaluation, its energy stage paired with the dense run's. */
    public RunRequested fullRun(PruneSpec prune, Instant occurredAt) {
        EvaluationSpec paired = evaluation.withEnergyReference(denseRun(occurredAt).runId());
        return new RunConfiguration(model, prune, calibration, paired).request(searchId, occurredAt, searchId);
    }

    /** A candidate (or the dense run) screened: perplexity on the first {@code screenWindows} windows only. */
    public RunRequested screenRun(PruneSpec prune, Instant occurredAt) {
        PerplexitySpec full = evaluation.perplexity();
        EvaluationSpec screen = new EvaluationSpec(new PerplexitySpec(full.text(), full.protocol(), full.window(),
                screenWindows), null, null, null, evaluation.provider(), evaluation.threads());
        return new RunConfiguration(model, prune, calibration, screen).request(screenSweepId(), occurredAt,
                screenSweepId());
    }

    /** Float weights in matrices of the dense shape (unstructured or N:M): as much work per token as dense. */
    static boolean keepsDenseWork(PruneSpec prune) {
        return !prune.method().isStructured() && prune.weightBits() == null;
    }

    private static List<PruneSpec> candidates(String searchId, ModelRef model, CalibrationSpec calibration,
                                              EvaluationSpec evaluation, List<PruneMethod> methods,
                                              List<Double> sparsities, List<String> patterns,
                                              StructuredSweep structured, List<LayerSparsity> layerSparsities,
                                              List<Integer> weightBits, Integer weightBlock, WeightDtype dtype) {
        Set<PruneSpec> all = new LinkedHashSet<>();
        for (int i = 0; i < layerSparsities.size(); i++) {
            // The sweep's own validation names the field that is wrong (sparsities, patterns, structured, ...).
            SweepRequest grid = new SweepRequest(searchId, model, methods, sparsities, patterns, structured,
                    calibration, List.of(evaluation), layerSparsities.get(i), dtype, false, null, weightBits,
                    weightBlock);
            all.addAll(grid.prunes());
            if (grid.weightBits().contains(WeightBits.INT4)) {
                all.add(new PruneSpec(PruneMethod.MAGNITUDE, 0.0, null, null, LayerSparsity.UNIFORM, dtype)
                        .withWeightBits(WeightBits.INT4, weightBlock));
            }
        }
        List<PruneSpec> candidates = new ArrayList<>();
        for (PruneSpec prune : all) {
            if (!prune.isDense()) {
                candidates.add(prune);
            }
        }
        return List.copyOf(candidates);
    }

    private static int positive(String field, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new InvalidSetting(field, value + " must be at least 1");
        }
        return value;
    }
}
