package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

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
 * @param layers                per decoder layer, what pruning removed (the dashboard's chart)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneSummary(String method, String label, Double requestedSparsity, Double achievedSparsity,
                           Long parameterCount, Long nonZeroParameterCount, Double seconds, Long peakRssBytes,
                           List<Layer> layers) {

    /**
     * One decoder layer of the source model.
     *
     * @param removed    unstructured: zeros over the weights of its pruned matrices; structured: 1 - its parameters
     *                   after / before (1 for a dropped block)
     * @param queryHeads structured: query heads kept (null for unstructured)
     * @param mlpWidth   structured: MLP channels kept (null for unstructured)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Layer(int layer, double removed, Integer queryHeads, Integer mlpWidth) {
        public Layer {
            Check.closedFraction("layers.removed", removed);
        }
    }

    /** Without per-layer figures. */
    public PruneSummary(String method, String label, Double requestedSparsity, Double achievedSparsity,
                        Long parameterCount, Long nonZeroParameterCount, Double seconds, Long peakRssBytes) {
        this(method, label, requestedSparsity, achievedSparsity, parameterCount, nonZeroParameterCount, seconds,
                peakRssBytes, null);
    }

    public PruneSummary {
        Check.text("method", method);
        if (achievedSparsity != null) {
            Check.closedFraction("achievedSparsity", achievedSparsity);
        }
        Check.nonNegativeOrNull("parameterCount", parameterCount);
        Check.nonNegativeOrNull("nonZeroParameterCount", nonZeroParameterCount);
        Check.nonNegativeOrNull("peakRssBytes", peakRssBytes);
        layers = layers == null ? null : List.copyOf(layers);
    }
}
