package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The headline numbers of {@code prune-report.json} (the full report is in the artifact).
 *
 * @param method                the method that ran
 * @param label                 {@link PruneSpec#label()} of the request
 * @param requestedSparsity     unstructured methods: the requested fraction
 * @param achievedSparsity      zeros over all pruned matrices, [0, 1]
 * @param parameterCount        parameters of the exported model
 * @param nonZeroParameterCount parameters that are not exactly zero
 * @param seconds               total pruning and export time
 * @param peakRssBytes          peak resident memory of the pruner
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PruneSummary(String method, String label, Double requestedSparsity, Double achievedSparsity,
                           Long parameterCount, Long nonZeroParameterCount, Double seconds, Long peakRssBytes) {

    public PruneSummary {
        Check.text("method", method);
        if (achievedSparsity != null) {
            Check.closedFraction("achievedSparsity", achievedSparsity);
        }
        Check.nonNegativeOrNull("parameterCount", parameterCount);
        Check.nonNegativeOrNull("nonZeroParameterCount", nonZeroParameterCount);
        Check.nonNegativeOrNull("peakRssBytes", peakRssBytes);
    }
}
