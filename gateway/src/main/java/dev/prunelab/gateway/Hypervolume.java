package dev.prunelab.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The two-objective hypervolume of a front (both minimised), relative to the dense run: perplexity as a ratio to the
 * dense perplexity, decode cost as the paired decode energy ratio to dense (or, for runs without an energy stage,
 * exported bytes over the dense run's). The reference point is (referencePerplexityRatio, 1): a point counts only
 * where it costs less than dense and loses less than that factor of perplexity. The area dominated between the front
 * and the reference is the figure two fronts (a search's and a grid's) are compared by.
 */
public final class Hypervolume {

    private Hypervolume() {
    }

    /** The area the points dominate below the reference; points beyond it add nothing. */
    public static double of(Collection<ParetoPoint> points, ParetoPoint dense, double referencePerplexityRatio) {
        if (!(referencePerplexityRatio > 1) || !Double.isFinite(referencePerplexityRatio)) {
            throw new IllegalArgumentException("referencePerplexityRatio: " + referencePerplexityRatio
                    + " must be a finite number > 1");
        }
        boolean energy = dense.pairedEnergyRatio() != null;
        List<double[]> inside = new ArrayList<>();
        for (ParetoPoint p : points) {
            Double cost = cost(p, dense, energy);
            if (cost == null) {
                continue;
            }
            double x = p.perplexity() / dense.perplexity();
            if (x < referencePerplexityRatio && cost < 1) {
                inside.add(new double[] {x, cost});
            }
        }
        inside.sort(Comparator.comparingDouble((double[] p) -> p[0]).thenComparingDouble(p -> p[1]));
        double area = 0;
        double bestCost = 1;
        for (int i = 0; i < inside.size(); i++) {
            double[] p = inside.get(i);
            if (p[1] >= bestCost) {
                continue; // dominated by a point with lower perplexity
            }
            // from this point's perplexity on, the front's cost drops to p's: add the strip below the previous cost
            area += (referencePerplexityRatio - p[0]) * (bestCost - p[1]);
            bestCost = p[1];
        }
        return area;
    }

    /** a is at least as good as b on both axes (perplexity, and energy ratio or bytes). */
    static boolean weaklyDominates(ParetoPoint a, ParetoPoint b, boolean energy) {
        Double ca = energy ? mean(a) : bytes(a);
        Double cb = energy ? mean(b) : bytes(b);
        return ca != null && cb != null && a.perplexity() <= b.perplexity() && ca <= cb;
    }

    private static Double cost(ParetoPoint p, ParetoPoint dense, boolean energy) {
        if (energy) {
            return mean(p);
        }
        Double bytes = bytes(p);
        Double denseBytes = bytes(dense);
        return bytes == null || denseBytes == null ? null : bytes / denseBytes;
    }

    private static Double mean(ParetoPoint p) {
        return p.pairedEnergyRatio() == null ? null : p.pairedEnergyRatio().mean();
    }

    private static Double bytes(ParetoPoint p) {
        return p.sizeBytes() == null ? null : p.sizeBytes().doubleValue();
    }
}
