package dev.prunelab.pruner.pipeline;

import dev.prunelab.pruner.model.DType;
import dev.prunelab.pruner.model.ModelFormatException;
import dev.prunelab.pruner.model.TensorInfo;
import dev.prunelab.pruner.model.TensorSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A few float32 tensors held in memory: one block's pruned weights while its outputs are recomputed. */
final class InMemoryTensors implements TensorSource {
    private static final Path IN_MEMORY = Path.of("<pruned block in memory>");
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    void put(String name, float[] data, long... shape) {
        values.put(name, data);
        shapes.put(name, shape.clone());
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(values.keySet()));
    }

    @Override
    public boolean contains(String name) {
        return values.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        if (!values.containsKey(name)) {
            throw new ModelFormatException(IN_MEMORY, name, "not held in memory");
        }
        return new TensorInfo(name, DType.F32, shapes.get(name), IN_MEMORY);
    }

    @Override
    public float[] readFloats(String name) {
        info(name);
        return values.get(name).clone();
    }

    @Override
    public void close() {
        values.clear();
        shapes.clear();
    }
}
