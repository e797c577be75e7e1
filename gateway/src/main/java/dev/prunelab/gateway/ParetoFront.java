package dev.prunelab.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The non-dominated runs over perplexity and size (exact, lower is better), decode energy (lower) and decode speed
 * (higher). Run a dominates run b when a is no worse on every axis and better on at least one.
 *
 * <p>Energy and speed, whenever the sweep's dense run has them, are each run's ratios to dense ({@link VersusDense},
 * decided per run): the paired ratios of a run measured with dense in its own window, the conservative ratios from
 * two windows' absolute figures for a run measured alone. Only a sweep without a measured dense run compares the
 * absolute {@code decodeJoulesPerToken} and {@code decodeTokensPerSecond}, from separate windows, and
 * {@link Front#note()} says so.
 *
 * <p>On a measured axis "better" and "worse" need the two 95% intervals to be disjoint; overlapping intervals are a
 * tie, so noise never puts a run on the front or takes it off. Exact axes compare values. A run whose ratio is
 * missing (dense's figure divides nothing) is not compared on that axis: it neither dominates nor is dominated
 * through it.
 *
 * <p>Size and the measured axes are compared only when every candidate has them (a sweep without an energy stage is
 * compared on perplexity and size); {@link Front#objectives()} names the ones used.
 */
public final class ParetoFront {

    /** The axes, in the order they are reported: the ratios to dense are used instead of the absolute figures. */
    public static final List<String> OBJECTIVES = List.of("perplexity", "sizeBytes", "decodeEnergyRatio",
            "decodeSpeedup", "decodeJoulesPerToken", "decodeTokensPerSecond");

    private ParetoFront() {
    }

    /**
     * The front in the candidates' order, the objectives it was computed on, and how energy and speed were compared
     * (null when they were not).
     */
    public record Front(List<ParetoPoint> points, List<String> objectives, String note) {
    }

    /** Without a dense run: the absolute figures. */
    public static Front of(Collection<ParetoPoint> candidates) {
        return of(candidates, null);
    }

    /** @param dense the sweep's dense run, or null */
    public static Front of(Collection<ParetoPoint> candidates, ParetoPoint dense) {
        List<String> objectives = new ArrayList<>(List.of("perplexity"));
        if (candidates.stream().allMatch(p -> p.sizeBytes() != null)) {
            objectives.add("sizeBytes");
        }
        Map<ParetoPoint, VersusDense> versus = new IdentityHashMap<>();
        String note = null;
        if (!candidates.isEmpty() && candidates.stream().allMatch(ParetoPoint::measured)) {
            if (dense != null && dense.measured()) {
                objectives.addAll(List.of("decodeEnergyRatio", "decodeSpeedup"));
                candidates.forEach(p -> versus.put(p, VersusDense.of(p, dense)));
                note = "energy and speed as each run's ratio to dense " + dense.runId() + ": " + pairing(versus);
            } else {
                objectives.addAll(List.of("decodeJoulesPerToken", "decodeTokensPerSecond"));
                note = "no dense run measured: energy and speed as absolute figures, each from its run's own window";
            }
        }
        List<ParetoPoint> front = new ArrayList<>();
        for (ParetoPoint p : candidates) {
            boolean dominated = false;
            for (ParetoPoint q : candidates) {
                if (q != p && dominates(q, p, objectives, versus)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                front.add(p);
            }
        }
        return new Front(List.copyOf(front), List.copyOf(objectives), note);
    }

    /** Which runs were compared by their paired ratios and which conservatively. */
    static String pairing(Map<ParetoPoint, VersusDense> versus) {
        List<String> unpaired = new ArrayList<>();
        int paired = 0;
        for (var e : versus.entrySet()) {
            if (e.getValue() != null && !VersusDense.ITSELF.equals(e.getValue().comparison())) {
                if (e.getValue().paired()) {
                    paired++;
                } else {
                    unpaired.add(e.getKey().runId());
                }
            }
        }
        unpaired.sort(null);
        if (unpaired.isEmpty()) {
            return "every run paired with dense in its own window";
        }
        return paired == 0 ? "every run unpaired: conservative, from two windows"
                : "paired in its own window, except " + String.join(", ", unpaired)
                        + " (unpaired: conservative, from two windows)";
    }

    static boolean dominates(ParetoPoint a, ParetoPoint b, List<String> axes, Map<ParetoPoint, VersusDense> versus) {
        boolean better = false;
        for (String axis : axes) {
            Integer c = compare(a, b, axis, versus);
            if (c == null || c > 0) {
                return false;
            }
            better |= c < 0;
        }
        return better;
    }

    /**
     * Negative when a is better than b on the axis, positive when worse, 0 for a tie (or overlapping intervals);
     * null when either lacks the figure.
     */
    static Integer compare(ParetoPoint a, ParetoPoint b, String axis, Map<ParetoPoint, VersusDense> versus) {
        return switch (axis) {
            case "perplexity" -> Double.compare(a.perplexity(), b.perplexity());
            case "sizeBytes" -> Long.compare(a.sizeBytes(), b.sizeBytes());
            case "decodeJoulesPerToken" -> {
                var x = a.decodeJoulesPerToken();
                var y = b.decodeJoulesPerToken();
                yield x.high() < y.low() ? -1 : y.high() < x.low() ? 1 : 0;
            }
            case "decodeTokensPerSecond" -> {
                var x = a.decodeTokensPerSecond();
                var y = b.decodeTokensPerSecond();
                yield x.low() > y.high() ? -1 : y.low() > x.high() ? 1 : 0;
            }
            case "decodeEnergyRatio" -> lowerIsBetter(ratio(versus.get(a), true), ratio(versus.get(b), true));
            case "decodeSpeedup" -> {
                Integer lower = lowerIsBetter(ratio(versus.get(a), false), ratio(versus.get(b), false));
                yield lower == null ? null : -lower;
            }
            default -> throw new IllegalArgumentException("unknown objective " + axis);
        };
    }

    private static Ratio ratio(VersusDense versus, boolean energy) {
        return versus == null ? null : energy ? versus.decodeEnergyRatio() : versus.decodeSpeedup();
    }

    private static Integer lowerIsBetter(Ratio x, Ratio y) {
        if (x == null || y == null) {
            return null;
        }
        return x.high() < y.low() ? -1 : y.high() < x.low() ? 1 : 0;
    }
}
