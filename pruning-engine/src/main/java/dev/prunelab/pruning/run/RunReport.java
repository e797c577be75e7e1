package dev.prunelab.pruning.run;

import java.util.List;
import java.util.Map;

/**
 * What every prune's report ({@value ReportedExport#FILE_NAME}) says about the run as a whole, whichever pruner wrote
 * it: the figures a service publishes about a pruned model, typed as the engine produced them.
 */
public interface RunReport {

    /** magnitude|wanda|sparsegpt|ria|structured. */
    String method();

    /** Wall-clock seconds of each stage, {@code total} among them. */
    Map<String, Double> secondsPerStage();

    /** The pruner's peak resident memory, null without /proc. */
    Long peakRssBytes();

    /** The fraction of weights asked to be zeroed and zeroed; null for a structured run, which removes units. */
    Sparsity sparsity();

    /** What pruning removed from each decoder layer of the source model, in layer order; empty when not known. */
    List<LayerRemoval> layerRemovals();

    /** @param achieved zeros over all pruned matrices, measured after pruning */
    record Sparsity(double requested, double achieved) {
    }

    /**
     * One decoder layer of the source model.
     *
     * @param layer      its index in the source model
     * @param removed    unstructured: zeros over the weights of its pruned matrices; structured: 1 - its parameters
     *                   after / before (1 for a dropped block)
     * @param queryHeads structured: the query heads it kept (null for unstructured)
     * @param mlpWidth   structured: the MLP channels it kept (null for unstructured)
     */
    record LayerRemoval(int layer, double removed, Integer queryHeads, Integer mlpWidth) {
    }
}
