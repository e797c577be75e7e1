package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.NmPattern;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.StructuredRules;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightDtype;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grid of runs on one model: (each unstructured method × (sparsities ∪ patterns), plus structured targets ×
 * ratios × scores when methods include structured) × evaluations.
 *
 * <p>{@link #expand} is deterministic: runs come in the order methods, then sparsities before patterns (or
 * targets, ratios, scores), then evaluations, each list in its given order; a run's id is
 * {@link RunConfiguration#runId} under the sweep id: {@code sweepId-} + the first 12 hex digits of the sha256 of its
 * canonical JSON (model, prune, calibration, evaluation). The same sweep submitted twice gives the same run ids, and a configuration listed twice runs
 * once.
 *
 * <p>The grid gets a dense reference first, unless {@code denseBaseline} is false or the grid already has
 * sparsity 0: magnitude at sparsity 0, i.e. the model exported unpruned through the same path (label "dense").
 * The recommendation's limit ("perplexity at most 10% above dense") and every speed-up are relative to it; every
 * other run's energy stage names it as its {@link EnergySpec#referenceRunId()}.
 *
 * @param evaluations   absent = one {@link EvaluationSpec#defaults()}
 * @param denseBaseline absent = true
 * @param refinements   each unstructured / N:M run once per refinement (none, dsnot); absent = [none]
 * @param weightBits    each run once per weight width ({@link WeightBits}): 32 (float, the dtype) or 4 (int4
 *                      MatMulNBits); absent = [32]. With 4, the dense reference also runs as "dense w4".
 * @param weightBlock   weights per int4 scale of the 4-bit runs; absent = 32
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SweepRequest(String sweepId, ModelRef model, List<PruneMethod> methods, List<Double> sparsities,
                           List<String> patterns, StructuredSweep structured, CalibrationSpec calibration,
                           List<EvaluationSpec> evaluations, LayerSparsity layerSparsity, WeightDtype dtype,
                           Boolean denseBaseline, List<MaskRefinement> refinements, List<Integer> weightBits,
                           Integer weightBlock) {

    /** Every run with float weights and the methods' own masks. */
    public SweepRequest(String sweepId, ModelRef model, List<PruneMethod> methods, List<Double> sparsities,
                        List<String> patterns, StructuredSweep structured, CalibrationSpec calibration,
                        List<EvaluationSpec> evaluations, LayerSparsity layerSparsity, WeightDtype dtype,
                        Boolean denseBaseline) {
        this(sweepId, model, methods, sparsities, patterns, structured, calibration, evaluations, layerSparsity, dtype,
                denseBaseline, null, null, null);
    }

    /** Leaves room for "-" and 12 hex digits within {@link RunRequested#MAX_RUN_ID_LENGTH}. */
    public static final int MAX_SWEEP_ID_LENGTH = 100;

    public SweepRequest {
        Check.id("sweepId", sweepId, MAX_SWEEP_ID_LENGTH);
        Check.present("model", model);
        methods = Check.nonEmpty("methods", methods);
        sparsities = sparsities == null ? List.of() : List.copyOf(sparsities);
        patterns = patterns == null ? List.of() : List.copyOf(patterns);
        for (int i = 0; i < sparsities.size(); i++) {
            PruneRules.fraction("sparsities[" + i + "]", sparsities.get(i));
        }
        for (int i = 0; i < patterns.size(); i++) {
            NmPattern.parse("patterns[" + i + "]", patterns.get(i));
        }
        boolean unstructured = methods.stream().anyMatch(m -> !m.isStructured());
        if (unstructured && sparsities.isEmpty() && patterns.isEmpty()) {
            throw new InvalidSetting("sparsities", "give sparsities or patterns for methods "
                    + methods.stream().filter(m -> !m.isStructured()).map(PruneMethod::id).toList());
        }
        if (methods.contains(PruneMethod.STRUCTURED)) {
            Check.present("structured", structured);
        } else if (structured != null) {
            throw new InvalidSetting("structured", "is only used when methods include structured");
        }
        evaluations = evaluations == null || evaluations.isEmpty()
                ? List.of(EvaluationSpec.defaults()) : Check.nonEmpty("evaluations", evaluations);
        layerSparsity = layerSparsity == null ? LayerSparsity.UNIFORM : layerSparsity;
        dtype = dtype == null ? WeightDtype.FLOAT32 : dtype;
        denseBaseline = denseBaseline == null || denseBaseline;
        refinements = refinements == null || refinements.isEmpty() ? List.of(MaskRefinement.NONE)
                : List.copyOf(refinements);
        weightBits = weightBits == null || weightBits.isEmpty() ? List.of(WeightBits.FLOAT_IN_A_LIST)
                : Check.nonEmpty(WeightBits.FIELD, weightBits);
        for (int i = 0; i < weightBits.size(); i++) {
            WeightBits.read(WeightBits.FIELD + "[" + i + "]", weightBits.get(i));
        }
        if (!expandPrunes(methods, sparsities, patterns, structured, layerSparsity, dtype).iterator().hasNext()) {
            throw new InvalidSetting("structured", "every target × score combination is refused "
                    + "(block-influence needs target blocks and blocks needs block-influence)");
        }
    }

    /** The runs of this sweep, all stamped {@code occurredAt}. */
    public List<RunRequested> expand(Instant occurredAt) {
        Map<String, RunRequested> runs = new LinkedHashMap<>();
        List<PruneSpec> prunes = widen(expandPrunes(methods, sparsities, patterns, structured, layerSparsity, dtype));
        if (denseBaseline && prunes.stream().noneMatch(PruneSpec::isDense)) {
            PruneSpec dense = new PruneSpec(PruneMethod.MAGNITUDE, 0.0, null, null, LayerSparsity.UNIFORM, dtype);
            prunes.add(0, dense);
            if (weightBits.contains(WeightBits.INT4)) {
                prunes.add(1, dense.withWeightBits(WeightBits.INT4, weightBlock));
            }
        }
        PruneSpec dense = prunes.stream().filter(PruneSpec::isDense).findFirst().orElse(null);
        for (PruneSpec prune : prunes) {
            for (EvaluationSpec evaluation : evaluations) {
                // Every pruned run's energy stage is measured paired with the dense run of the same evaluation.
                EvaluationSpec measured = dense == null || prune == dense ? evaluation
                        : evaluation.withEnergyReference(
                                new RunConfiguration(model, dense, calibration, evaluation).runId(sweepId));
                RunRequested run = new RunConfiguration(model, prune, calibration, measured)
                        .request(sweepId, occurredAt, sweepId);
                runs.putIfAbsent(run.runId(), run);
            }
        }
        return List.copyOf(runs.values());
    }

    /**
     * The grid's prunes without the dense reference, in {@link #expand}'s order: each method's sparsities, patterns
     * or structured combinations, once per refinement and then per weight width.
     */
    public List<PruneSpec> prunes() {
        return List.copyOf(widen(expandPrunes(methods, sparsities, patterns, structured, layerSparsity, dtype)));
    }

    /** Each prune once per refinement (unstructured and N:M only) and then once per weight width, in that order. */
    private List<PruneSpec> widen(List<PruneSpec> prunes) {
        List<PruneSpec> refined = new ArrayList<>();
        for (PruneSpec prune : prunes) {
            if (prune.method().isStructured() || prune.isDense()) {
                refined.add(prune);
                continue;
            }
            for (MaskRefinement refinement : refinements) {
                refined.add(prune.withRefine(refinement));
            }
        }
        List<PruneSpec> widened = new ArrayList<>();
        for (PruneSpec prune : refined) {
            for (Integer bits : weightBits) {
                widened.add(WeightBits.read(WeightBits.FIELD, bits) == null ? prune
                        : prune.withWeightBits(bits, weightBlock));
            }
        }
        return widened;
    }

    private static List<PruneSpec> expandPrunes(List<PruneMethod> methods, List<Double> sparsities,
                                                List<String> patterns, StructuredSweep structured,
                                                LayerSparsity layerSparsity, WeightDtype dtype) {
        List<PruneSpec> prunes = new ArrayList<>();
        for (PruneMethod method : methods) {
            if (!method.isStructured()) {
                for (Double sparsity : sparsities) {
                    prunes.add(new PruneSpec(method, sparsity, null, null, layerSparsity, dtype));
                }
                for (String pattern : patterns) {
                    prunes.add(new PruneSpec(method, null, pattern, null, layerSparsity, dtype));
                }
                continue;
            }
            for (StructuredTarget target : structured.targets()) {
                for (Double ratio : structured.ratios()) {
                    for (StructuredScore score : structured.scores()) {
                        // bias compensation is FLAP's: asked for a sweep, it applies to the FLAP runs only
                        boolean compensate = score == StructuredScore.FLAP
                                && (structured.biasCompensation() == null || structured.biasCompensation());
                        if (StructuredRules.refusal(target, score, structured.allocation(), compensate) == null) {
                            prunes.add(new PruneSpec(PruneMethod.STRUCTURED, null, null, new StructuredSpec(target,
                                    ratio, score, structured.allocation(), compensate), null, dtype));
                        }
                    }
                }
            }
        }
        return prunes;
    }
}
