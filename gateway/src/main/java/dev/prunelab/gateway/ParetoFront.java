package dev.prunelab.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The non-dominated runs over perplexity and size (exact, lower is better), decode energy (lower) and decode speed
 * (higher). Run a dominates run b when a is no worse on every axis and better on at least one.
 *
 * <p>Energy and speed are the ratios against the sweep's dense run measured paired in the same window
 * ({@code decodeEnergyRatio}, {@code decodeSpeedup}: the machine's drift between windows cancels) when every
 * candidate has them, else the absolute {@code decodeJoulesPerToken} and {@code decodeTokensPerSecond}.
 *
 * <p>On a measured axis "better" and "worse" need the two 95% intervals to be disjoint; overlapping intervals are a
 * tie, so noise never puts a run on the front or takes it off. Exact axes compare values.
 *
 * <p>An axis is compared only when every candidate has it (a sweep without an energy stage is compared on
 * perplexity and size); {@link Front#objectives()} names the ones used.
 */
public final class ParetoFront {

    /** The axes, in the order they are reported: the paired ratios are used instead of the absolute figures. */
    public static final List<String> OBJECTIVES = List.of("perplexity", "sizeBytes", "decodeEnergyRatio",
            "decodeSpeedup", "decodeJoulesPerToken", "decodeTokensPerSecond");

    private ParetoFront() {
    }

    /** The front in the candidates' order, and the objectives it was computed on. */
    public record Front(List<ParetoPoint> points, List<String> objectives) {
    }

    public static Front of(Collection<ParetoPoint> candidates) {
        List<String> objectives = new ArrayList<>();
        for (String axis : OBJECTIVES) {
            if (candidates.stream().allMatch(p -> has(p, axis))) {
                objectives.add(axis);
            }
        }
        if (objectives.contains("decodeEnergyRatio")) {
            objectives.removeAll(List.of("decodeJoulesPerToken", "decodeTokensPerSecond"));
        }
        List<ParetoPoint> front = new ArrayList<>();
        for (ParetoPoint p : candidates) {
            boolean dominated = false;
            for (ParetoPoint q : candidates) {
                if (q != p && dominates(q, p, objectives)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                front.add(p);
            }
        }
        return new Front(List.copyOf(front), List.copyOf(objectives));
    }

    static boolean dominates(ParetoPoint a, ParetoPoint b, List<String> axes) {
        boolean better = false;
        for (String axis : axes) {
            int c = compare(a, b, axis);
            if (c > 0) {
                return false;
            }
            better |= c < 0;
        }
        return better;
    }

    /** Negative when a is better than b on the axis, positive when worse, 0 for a tie (or overlapping intervals). */
    static int compare(ParetoPoint a, ParetoPoint b, String axis) {
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
            case "decodeEnergyRatio" -> {
                var x = a.pairedEnergyRatio();
                var y = b.pairedEnergyRatio();
                yield x.high() < y.low() ? -1 : y.high() < x.low() ? 1 : 0;
            }
            case "decodeSpeedup" -> {
                var x = a.pairedSpeedup();
                var y = b.pairedSpeedup();
                yield x.low() > y.high() ? -1 : y.low() > x.high() ? 1 : 0;
            }
            default -> throw new IllegalArgumentException("unknown objective " + axis);
        };
    }

    static boolean has(ParetoPoint p, String axis) {
        return switch (axis) {
            case "perplexity" -> true;
            case "sizeBytes" -> p.sizeBytes() != null;
            case "decodeJoulesPerToken" -> p.decodeJoulesPerToken() != null;
            case "decodeTokensPerSecond" -> p.decodeTokensPerSecond() != null;
            case "decodeEnergyRatio" -> p.pairedEnergyRatio() != null;
            case "decodeSpeedup" -> p.pairedSpeedup() != null;
            default -> throw new IllegalArgumentException("unknown objective " + axis);
        };
    }
}
