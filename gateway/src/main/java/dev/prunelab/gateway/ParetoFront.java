package dev.prunelab.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * The non-dominated runs over (perplexity, size, latency, energy), all lower-is-better. Run a dominates run b
 * when a is no worse on every objective and strictly better on at least one; runs equal on every objective
 * do not dominate each other and are both kept.
 *
 * <p>An objective is compared only when every candidate has it (a sweep evaluated without latency is compared
 * on the other three); {@link Front#objectives()} names the ones used.
 */
public final class ParetoFront {

    private ParetoFront() {
    }

    /** The front in the candidates' order, and the objectives it was computed on. */
    public record Front(List<ParetoPoint> points, List<String> objectives) {
    }

    public static Front of(Collection<ParetoPoint> candidates) {
        List<String> objectives = new ArrayList<>();
        for (String name : ParetoPoint.OBJECTIVES) {
            Function<ParetoPoint, Double> get = ParetoPoint.objective(name);
            if (candidates.stream().allMatch(p -> get.apply(p) != null)) {
                objectives.add(name);
            }
        }
        List<Function<ParetoPoint, Double>> axes = objectives.stream().map(ParetoPoint::objective).toList();
        List<ParetoPoint> front = new ArrayList<>();
        for (ParetoPoint p : candidates) {
            boolean dominated = false;
            for (ParetoPoint q : candidates) {
                if (q != p && dominates(q, p, axes)) {
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

    static boolean dominates(ParetoPoint a, ParetoPoint b, List<Function<ParetoPoint, Double>> axes) {
        boolean strictlyBetter = false;
        for (Function<ParetoPoint, Double> axis : axes) {
            int c = Double.compare(axis.apply(a), axis.apply(b));
            if (c > 0) {
                return false;
            }
            strictlyBetter |= c < 0;
        }
        return strictlyBetter;
    }
}
