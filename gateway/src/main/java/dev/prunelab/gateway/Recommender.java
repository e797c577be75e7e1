package dev.prunelab.gateway;

import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.PruneSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configuration to use under the user's constraints ({@link Constraints}):
 * <ol>
 *   <li>admissible = completed runs with perplexity <= baseline x (1 + limit), a decode speed-up whose lower 95%
 *       bound reaches the minimum (when one is asked for) and peak memory within the maximum (when asked);</li>
 *   <li>with an energy stage: the admissible run with the lowest decode J/token (its paired ratio against dense when
 *       every run has one), and every admissible run whose interval overlaps that one's (they are not
 *       distinguishable); among those the lowest perplexity;</li>
 *   <li>without one (no interval to trust): the smallest model, then the lowest perplexity;</li>
 *   <li>ties: the run id.</li>
 * </ol>
 * So noise never picks a run: a pruned run wins on energy only when its J/token is below dense's outside the
 * intervals, and otherwise the better perplexity (dense's) decides. {@link Recommendation#reason()} says in one
 * line why the choice was made.
 */
public final class Recommender {

    public static final String RULE = "perplexity <= baseline x (1 + limit), speed-up lower bound >= minimum, "
            + "peak memory <= maximum; then the lowest decode J/token, and among runs whose J/token intervals overlap "
            + "it the lowest perplexity (without energy: smallest size, then lowest perplexity); then run id";

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

    /**
     * @param dense    the sweep's dense run (for speed-ups), or null
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
                if (versus == null || versus.decodeSpeedup().low() < constraints.minSpeedup()) {
                    continue;
                }
            }
            if (constraints.maxMemoryMb() != null
                    && (p.peakRssBytes() == null || p.peakRssBytes() > constraints.maxMemoryMb() * 1024 * 1024)) {
                continue;
            }
            admissible.add(p);
        }
        if (admissible.isEmpty()) {
            return Optional.empty();
        }
        boolean measured = admissible.stream().allMatch(p -> p.decodeJoulesPerToken() != null);
        // Paired ratios against dense cancel the machine's drift between windows: used when every run has one.
        boolean paired = measured && admissible.stream().allMatch(p -> p.pairedEnergyRatio() != null);
        Function<ParetoPoint, MeanInterval> energy = paired ? ParetoPoint::pairedEnergyRatio
                : ParetoPoint::decodeJoulesPerToken;
        List<ParetoPoint> ordered;
        String reason;
        if (measured) {
            ParetoPoint leanest = admissible.stream()
                    .min(Comparator.comparingDouble((ParetoPoint p) -> energy.apply(p).mean())
                            .thenComparing(ParetoPoint::runId)).orElseThrow();
            Comparator<ParetoPoint> order = Comparator
                    .comparing((ParetoPoint p) -> overlaps(energy.apply(p), energy.apply(leanest)) ? 0 : 1)
                    .thenComparing(p -> overlaps(energy.apply(p), energy.apply(leanest)) ? p.perplexity()
                            : energy.apply(p).mean())
                    .thenComparing(ParetoPoint::runId);
            ordered = admissible.stream().sorted(order).toList();
            long tied = admissible.stream().filter(p -> overlaps(energy.apply(p), energy.apply(leanest))).count();
            reason = reason(ordered.get(0), dense, baselinePerplexity, constraints, limit,
                    admissible.size() == 1 ? "the only run within the constraints"
                    : tied > 1 ? "of the " + tied + " admissible runs with the lowest decode energy (intervals "
                            + "overlapping), the lowest perplexity"
                            : "the lowest decode energy of the " + admissible.size() + " admissible runs, outside the noise");
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

    private static boolean overlaps(MeanInterval a, MeanInterval b) {
        return !(a.high() < b.low() || b.high() < a.low());
    }

    private static String reason(ParetoPoint choice, ParetoPoint dense, double baseline, Constraints constraints,
                                 double limit, String why) {
        StringBuilder line = new StringBuilder(choice.label()).append(": ");
        VersusDense versus = VersusDense.of(choice, dense);
        if (versus != null && !choice.runId().equals(dense.runId())) {
            Ratio s = versus.decodeSpeedup();
            Ratio e = versus.decodeEnergyRatio();
            line.append(String.format(Locale.ROOT, "decode %.2fx dense's speed [%.2f, %.2f] (%s), %.2fx its J/token "
                            + "[%.2f, %.2f] (%s%s); ", s.estimate(), s.low(), s.high(), describe(s.verdict(), "faster", "slower"),
                    e.estimate(), e.low(), e.high(), describe(e.verdict(), "more", "less"),
                    versus.paired() ? ", paired in one window" : ""));
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
