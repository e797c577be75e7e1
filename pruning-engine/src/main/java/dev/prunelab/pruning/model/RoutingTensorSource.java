package dev.prunelab.pruning.model;

/**
 * A source made of several others, each tensor read from the one that holds it (a shard of a checkpoint, a spill
 * file, the model), so a router states only how it finds that source.
 */
public interface RoutingTensorSource extends TensorSource {

    /** The source that holds {@code name}; how a missing name is refused is the router's. */
    TensorSource sourceOf(String name);

    @Override
    default TensorInfo info(String name) {
        return sourceOf(name).info(name);
    }

    @Override
    default float[] readFloats(String name) {
        return sourceOf(name).readFloats(name);
    }

    @Override
    default float[] readRange(String name, long first, int count) {
        return sourceOf(name).readRange(name, first, count);
    }
}
