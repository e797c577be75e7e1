package dev.prunelab.gateway.service;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The small JSON bodies of the REST API. */
public final class ApiResponses {

    private ApiResponses() {
    }

    @Schema(description = "A refused request: the field and the problem, e.g. \"sparsities[0]: 1.5 is outside [0, 1)\"")
    public record ApiError(String error) {
    }

    /**
     * @param runIds    every run of the sweep, in expansion order (deterministic: resubmitting gives the same ids)
     * @param published the runs published now; runs the gateway already knew are not published again
     */
    @Schema(description = "A sweep accepted: its run ids; the runs were published to prunelab.run.requested")
    public record SweepAccepted(String sweepId, List<String> runIds, List<String> published) {
    }

    @Schema(description = "A run accepted; published is false when the run was already known (same configuration)")
    public record RunAccepted(String runId, boolean published) {
    }

    /**
     * @param accepted  false when this search was already accepted (resubmitted: nothing new happens)
     * @param published the first runs published now (more follow as they finish)
     */
    @Schema(description = "A search accepted: published to prunelab.search.requested, its first runs to "
            + "prunelab.run.requested")
    public record SearchAccepted(String searchId, boolean accepted, List<String> published) {
    }

    @Schema(description = "A cancellation published to prunelab.sweep.cancelled")
    public record SweepCancellation(String sweepId, String reason) {
    }
}
