package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A sweep as the REST API shows it: its runs with status and joined results, the Pareto front over the completed
 * runs, and the recommendation under the perplexity limit.
 *
 * @param status   running | cancelling (cancelled, runs still under way) | cancelled | done
 * @param finished every run is done, failed or cancelled
 * @param counts   runs per status id (queued, pruning, ...)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SweepView(String sweepId, String status, boolean finished, boolean cancelled,
                        Map<String, Integer> counts, List<RunView> runs, Front pareto,
                        Recommendation recommendation) {

    /**
     * @param objectives the axes compared (all lower-is-better; an axis a completed run lacks is left out)
     * @param runIds     the non-dominated completed runs
     */
    public record Front(List<String> objectives, List<String> runIds) {
    }

    /**
     * The configuration to use under "perplexity at most {@code maxPerplexityIncrease} above the baseline".
     *
     * @param baseline        where the reference perplexity came from
     * @param perplexityLimit baseline × (1 + maxPerplexityIncrease); null without a baseline
     * @param runId           the recommended run; null when no completed run is within the limit
     * @param admissible      the run ids within the limit, best first
     * @param note            why there is no recommendation, or a caveat about the baseline
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Recommendation(double maxPerplexityIncrease, Baseline baseline, Double perplexityLimit,
                                 String runId, String label, List<String> admissible, String rule, String note) {
    }

    /**
     * @param source     {@value SweepReports#BASELINE_QUERY} (given by the caller), {@value SweepReports#BASELINE_DENSE}
     *                   (a run of the sweep that pruned nothing) or {@value SweepReports#BASELINE_LEAST_SPARSE}
     *                   (no dense run: the completed run that pruned least)
     * @param runId      the run the perplexity came from, null for a given one
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Baseline(String source, String runId, double perplexity) {
    }
}
