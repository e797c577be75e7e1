package dev.prunelab.gateway;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.measure.MeanInterval;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configuration to use under the user's constraints ({@link Constraints}):
 * <ol>
 *   <li>admissible = completed runs with perplexity <= baseline x (1 + limit), a decode speed-up whose lower 95%
 *       bound reaches the minimum (when one is asked for) and peak memory within the maximum (when asked);</li>
 *   <li>with an energy stage: decode energy is each run's ratio to the sweep's dense run, decided per run
 *       ({@link VersusDense}: paired in one window when measured so, else conservative from two windows); only a
 *       sweep without a measured dense run compares absolute J/token from separate windows, and says so. A run
 *       whose ratio cannot be had is left out. The tie set is the admissible runs that no other admissible run
 *       beats on energy outside the noise (no s with s.high < r.low); among them the lowest perplexity;</li>
 *   <li>without one (no interval to trust): the smallest model, then the lowest perplexity;</li>
 *   <li>ties: the run id.</li>
 * </ol>
 * So noise never picks a run: a pruned run wins on energy only when its J/token is below the others' outside the
 * intervals, and otherwise the better perplexity (dense's) decides; nor does it decide which runs tie, since the
 * tie set does not hang on whose mean happens to be lowest. {@link Recommendation#reason()} says in one line why
 * the choice was made.
 */
public final class Recommender {

    public static final String RULE = "perplexity <= baseline x (1 + limit), speed-up lower bound >= minimum, "
            + "peak memory <= maximum; then, on decode energy (each run's ratio to the sweep's dense run: paired in one "
            + "window, else conservative from two windows; absolute J/token only without a dense run), the runs no other "
            + "admissible run beats outside the noise (no interval wholly below theirs), and among them the lowest "
            + "perplexity (without energy: smallest size, then lowest perplexity); then run id";

    private Recommender() {
    }

    /**
     * @param choice          the recommended run
     * @param perplexityLimit baseline × (1 + limit)
     * @param admissible      the runs within every constraint, best first
     * @param reason          one line: why this run
     */
    public record Recommendation(ParetoPoint choice, double perplexityLimit, List<ParetoPoint> admissible,
                                 String rule, String reason) {
    }

    /** A run's decode energy as compared (its ratio to dense, or its absolute J/token): center and interval. */
    private record Energy(double center, double low, double high) {
        boolean beats(Energy other) {
            return high < other.low;
        }
    }

    /**
     * @param dense    the sweep's dense run (for speed-ups and energy ratios), or null
     * @return empty when no run satisfies the constraints
     */
    public static Optional<Recommendation> recommend(Collection<ParetoPoint> candidates, ParetoPoint dense,
                                                     double baselinePerplexity, Constraints constraints) {
        if (!(baselinePerplexity >= 1)) {
            throw new IllegalArgumentException("baseline perplexity " + baselinePerplexity + " must be >= 1");
        }
        double limit = baselinePerplexity * (1 + constraints.maxPerplexityIncrease());
        List<ParetoPoint> admissible = new ArrayList<>();
        for (ParetoPoint p : candidates) {
            if (p.perplexity() > limit) {
                continue;
            }
            if (constraints.minSpeedup() != null) {
                VersusDense versus = VersusDense.of(p, dense);
                if (versus == null || versus.decodeSpeedup() == null
                        || versus.decodeSpeedup().low() < constraints.minSpeedup()) {
                    continue;
                }
            }
            if (constraints.maxMemoryMb() != null
                    && (p.peakRssBytes() == null || p.peakRssBytes() > constraints.maxMemoryMb() * 1024 * 1024)) {
                continue;
            }
            admissible.add(p);
        }
        boolean measured = !admissible.isEmpty() && admissible.stream().allMatch(ParetoPoint::measured);
        // Ratios to dense, decided per run, whenever the sweep's dense run was measured; absolute figures otherwise.
        boolean relative = measured && dense != null && dense.measured();
        Map<String, Energy> energy = new HashMap<>();
        List<String> leftOut = new ArrayList<>();
        if (measured) {
            for (ParetoPoint p : admissible) {
                if (relative) {
                    VersusDense versus = VersusDense.of(p, dense);
                    Ratio ratio = versus.decodeEnergyRatio();
                    if (ratio == null) {
                        leftOut.add(p.runId());
                    } else {
                        energy.put(p.runId(), new Energy(ratio.estimate(), ratio.low(), ratio.high()));
                    }
                } else {
                    MeanInterval joules = p.decodeJoulesPerToken();
                    energy.put(p.runId(), new Energy(joules.mean(), joules.low(), joules.high()));
                }
            }
            admissible.removeIf(p -> leftOut.contains(p.runId()));
        }
        if (admissible.isEmpty()) {
            return Optional.empty();
        }
        List<ParetoPoint> ordered;
        String reason;
        if (measured) {
            Function<ParetoPoint, Energy> of = p -> energy.get(p.runId());
            List<ParetoPoint> tied = admissible.stream()
                    .filter(r -> admissible.stream().noneMatch(s -> of.apply(s).beats(of.apply(r)))).toList();
            Comparator<ParetoPoint> order = Comparator
                    .comparing((ParetoPoint p) -> tied.contains(p) ? 0 : 1)
                    .thenComparing(p -> tied.contains(p) ? p.perplexity() : of.apply(p).center())
                    .thenComparing(ParetoPoint::runId);
            ordered = admissible.stream().sorted(order).toList();
            String why = admissible.size() == 1 ? "the only run within the constraints"
                    : tied.size() > 1 ? "of the " + tied.size() + " admissible runs no other beats on decode energy "
                            + "outside the noise, the lowest perplexity"
                    : "the lowest decode energy of the " + admissible.size() + " admissible runs, outside the noise";
            if (!relative) {
                why += "; energy compared as absolute J/token of separate windows (no dense run measured)";
            }
            if (!leftOut.isEmpty()) {
                why += "; left out for want of an energy ratio to dense: " + String.join(", ", leftOut);
            }
            reason = reason(ordered.get(0), dense, baselinePerplexity, constraints, limit, why);
        } else {
            Comparator<ParetoPoint> order = Comparator
                    .comparing(ParetoPoint::sizeBytes, Comparator.nullsLast(Comparator.<Long>naturalOrder()))
                    .thenComparing(ParetoPoint::perplexity)
                    .thenComparing(ParetoPoint::runId);
            ordered = admissible.stream().sorted(order).toList();
            reason = reason(ordered.get(0), dense, baselinePerplexity, constraints, limit,
                    "no energy stage measured: the smallest model, then the lowest perplexity");
        }
        return Optional.of(new Recommendation(ordered.get(0), limit, ordered, RULE, reason));
    }

    private static String reason(ParetoPoint choice, ParetoPoint dense, double baseline, Constraints constraints,
                                 double limit, String why) {
        StringBuilder line = new StringBuilder(choice.label()).append(": ");
        VersusDense versus = VersusDense.of(choice, dense);
        if (versus != null && !choice.runId().equals(dense.runId())) {
            Ratio s = versus.decodeSpeedup();
            Ratio e = versus.decodeEnergyRatio();
            String pairing = versus.paired() ? ", paired in one window" : ", unpaired: conservative, two windows";
            if (s != null) {
                line.append(String.format(Locale.ROOT, "decode %.2fx dense's speed [%.2f, %.2f] (%s), ", s.estimate(),
                        s.low(), s.high(), describe(s.verdict(), "faster", "slower")));
            }
            if (e != null) {
                line.append(String.format(Locale.ROOT, "%.2fx its J/token [%.2f, %.2f] (%s%s%s); ", e.estimate(),
                        e.low(), e.high(), describe(e.verdict(), "more", "less"), pairing,
                        choice.estimated() ? ", estimate" : ""));
            }
        }
        line.append(String.format(Locale.ROOT, "perplexity %.3f (%+.1f%% vs baseline %.3f; limit %.3f)",
                choice.perplexity(), 100 * (choice.perplexity() / baseline - 1), baseline, limit));
        if (constraints.minSpeedup() != null) {
            line.append(String.format(Locale.ROOT, ", speed-up >= %.2f", constraints.minSpeedup()));
        }
        if (constraints.maxMemoryMb() != null) {
            line.append(String.format(Locale.ROOT, ", peak memory <= %.0f MiB", constraints.maxMemoryMb()));
        }
        return line.append("; ").append(why).toString();
    }

    private static String describe(String verdict, String higher, String lower) {
        return switch (verdict) {
            case "higher" -> higher;
            case "lower" -> lower;
            default -> Ratio.NO_DIFFERENCE;
        };
    }

    /** Sparsity 0 or structured ratio 0: the model exported unpruned. */
    static boolean prunesNothing(PruneSpec prune) {
        return prune.method().isStructured() ? prune.structured().ratio() == 0 : prune.isDense();
    }
}
