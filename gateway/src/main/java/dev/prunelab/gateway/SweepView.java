package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A sweep as the REST API shows it: its runs with status and joined results, the Pareto front over the completed
 * runs, and the recommendation under the constraints.
 *
 * @param status     running | cancelling (cancelled, runs still under way) | cancelled | done
 * @param finished   every run is done, failed or cancelled
 * @param counts     runs per status id (queued, pruning, ...)
 * @param model      the model path the sweep prunes (the dashboard groups sweeps by it)
 * @param denseRunId the sweep's dense reference (speed-ups and energy ratios are against it), null without one
 * @param carbon     the intensity and PUE the carbon figures use
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SweepView(String sweepId, String status, boolean finished, boolean cancelled,
                        Map<String, Integer> counts, List<RunView> runs, Front pareto,
                        Recommendation recommendation, String model, String denseRunId, Carbon carbon) {

    /**
     * @param objectives the axes compared (an axis a completed run lacks is left out)
     * @param runIds     the non-dominated completed runs
     * @param note       how energy and speed were compared: as each run's ratio to dense (which runs paired, which
     *                   conservatively from two windows), or as absolute figures when the sweep has no measured
     *                   dense run
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Front(List<String> objectives, List<String> runIds, String note) {
    }

    /**
     * The configuration to use under the constraints.
     *
     * @param baseline        where the reference perplexity came from
     * @param perplexityLimit baseline × (1 + maxPerplexityIncrease); null without a baseline
     * @param runId           the recommended run; null when no completed run satisfies the constraints
     * @param admissible      the run ids within every constraint, best first
     * @param reason          one line: why this run was chosen
     * @param note            why there is no recommendation, or a caveat about the baseline
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Recommendation(double maxPerplexityIncrease, Constraints constraints, Baseline baseline,
                                 Double perplexityLimit, String runId, String label, List<String> admissible,
                                 String rule, String reason, String note) {
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
