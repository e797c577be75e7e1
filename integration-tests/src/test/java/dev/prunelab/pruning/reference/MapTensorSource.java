package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Set;

/** An in-memory {@link TensorSource} for tests that derive models from models: chained puts, copies, removals. */
final class MapTensorSource implements TensorSource {
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

    @Override
    public Set<String> names() {
        return tensors.names();
    }

    @Override
    public boolean contains(String name) {
        return tensors.contains(name);
    }

    @Override
    public TensorInfo info(String name) {
        return tensors.info(name);
    }

    @Override
    public float[] readFloats(String name) {
        return tensors.readFloats(name);
    }

    @Override
    public void close() {
        // nothing to release; the tensors stay readable for the next derived model
    }
}
