package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** An in-memory {@link TensorSource} for tests: float32 tensors by name, with shapes. */
final class MapTensorSource implements TensorSource {
    private static final Path MEMORY = Path.of("<memory>");

    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    /** Adds (or replaces) a tensor; the value count must match the shape. Returns this, for chaining. */
    MapTensorSource put(String name, float[] data, long... shape) {
        long count = 1;
        for (long dimension : shape) {
            count *= dimension;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + Arrays.toString(shape));
        }
        values.put(name, data.clone());
        shapes.put(name, shape.clone());
        return this;
    }

    MapTensorSource remove(String name) {
        values.remove(name);
        shapes.remove(name);
        return this;
    }

    /** A mutable copy of the tensor (for deriving modified models). */
    float[] get(String name) {
        return readFloats(name);
    }

    MapTensorSource copy() {
        MapTensorSource copy = new MapTensorSource();
        values.forEach((name, data) -> copy.put(name, data, shapes.get(name)));
        return copy;
    }

    @Override
    public Set<String> names() {
        SortedSet<String> sorted = new TreeSet<>(values.keySet());
        return Collections.unmodifiableSortedSet(sorted);
    }

    @Override
    public boolean contains(String name) {
        return values.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        if (!contains(name)) {
            throw new ModelFormatException(MEMORY, name, "no such tensor");
        }
        return new TensorInfo(name, DType.F32, shapes.get(name), MEMORY);
    }

    @Override
    public float[] readFloats(String name) {
        info(name);
        return values.get(name).clone();
    }

    @Override
    public void close() {
    }
}
