package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.model.ForwardingTensorSource;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;

/** An in-memory {@link TensorSource} for tests that derive models from models: chained puts, copies, removals. */
final class MapTensorSource implements ForwardingTensorSource {
    private final InMemoryTensors tensors = new InMemoryTensors(Path.of("<memory>"));

    /** Adds (or replaces) a copy of a tensor; the value count must match the shape. Returns this, for chaining. */
    MapTensorSource put(String name, float[] data, long... shape) {
        tensors.put(name, data.clone(), shape);
        return this;
    }

    MapTensorSource remove(String name) {
        tensors.remove(name);
        return this;
    }

    /** A mutable copy of the tensor (for deriving modified models). */
    float[] get(String name) {
        return readFloats(name);
    }

    MapTensorSource copy() {
        MapTensorSource copy = new MapTensorSource();
        for (String name : names()) {
            copy.put(name, readFloats(name), info(name).shape());
        }
        return copy;
    }

    /** The tensors themselves; closing leaves them readable for the next derived model. */
    @Override
    public TensorSource base() {
        return tensors;
    }
}
