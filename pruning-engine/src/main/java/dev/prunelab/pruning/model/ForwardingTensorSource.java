package dev.prunelab.pruning.model;

import java.util.Set;

/**
 * A view over another source that passes every call on to it, so a view states only what it changes (a tensor
 * removed, reshaped or rounded). Closing a view leaves the base open: the base belongs to whoever made it.
 */
public interface ForwardingTensorSource extends TensorSource {

    /** The source this view reads from. */
    TensorSource base();

    @Override
    default Set<String> names() {
        return base().names();
    }

    @Override
    default boolean contains(String name) {
        return base().contains(name);
    }

    @Override
    default TensorInfo info(String name) {
        return base().info(name);
    }

    @Override
    default float[] readFloats(String name) {
        return base().readFloats(name);
    }

    @Override
    default float[] readRange(String name, long first, int count) {
        return base().readRange(name, first, count);
    }

    @Override
    default void close() {
    }
}
