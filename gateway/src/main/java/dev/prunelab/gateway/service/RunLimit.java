package dev.prunelab.gateway.service;

import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The most runs one sweep may expand to ({@value #PROPERTY}, default 500): a larger grid is refused with a 400 that
 * names the count and the limit, before anything is published. A grid far above the limit is refused from its
 * upper bound without being expanded.
 */
@ApplicationScoped
public class RunLimit {

    static final String PROPERTY = "prunelab.gateway.max-runs";

    /** Grids up to this many times the limit are expanded to count them exactly (duplicates and skipped combinations). */
    private static final long EXPAND_TO_COUNT = 100;

    private final int maxRuns;

    public RunLimit(@ConfigProperty(name = PROPERTY, defaultValue = "500") int maxRuns) {
        if (maxRuns < 1) {
            throw new IllegalArgumentException(PROPERTY + ": " + maxRuns + " must be at least 1");
        }
        this.maxRuns = maxRuns;
    }

    public int maxRuns() {
        return maxRuns;
    }

    /** The sweep's runs, or an {@link IllegalArgumentException} (a 400) when there are more than the limit. */
    public List<RunRequested> expand(SweepRequest sweep, Instant now) {
        long bound = upperBound(sweep);
        if (bound > (long) maxRuns * EXPAND_TO_COUNT) {
            throw tooMany("up to " + bound);
        }
        List<RunRequested> runs = sweep.expand(now);
        if (runs.size() > maxRuns) {
            throw tooMany(Integer.toString(runs.size()));
        }
        return runs;
    }

    private IllegalArgumentException tooMany(String count) {
        return new IllegalArgumentException("(sweep): expands to " + count + " runs, more than the limit of "
                + maxRuns + " (" + PROPERTY + ")");
    }

    /** (dense + unstructured methods × (sparsities + patterns) + targets × ratios × scores) × evaluations. */
    static long upperBound(SweepRequest sweep) {
        long unstructured = sweep.methods().stream().filter(m -> !m.isStructured()).count();
        long grid = unstructured * ((long) size(sweep.sparsities()) + size(sweep.patterns()));
        if (sweep.methods().stream().anyMatch(m -> m.isStructured()) && sweep.structured() != null) {
            grid += (long) size(sweep.structured().targets()) * size(sweep.structured().ratios())
                    * size(sweep.structured().scores());
        }
        return (grid + 1) * Math.max(1, size(sweep.evaluations()));
    }

    private static int size(List<?> list) {
        return list == null ? 0 : list.size();
    }
}
