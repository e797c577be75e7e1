package dev.prunelab.pruning.model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Float32 tensors held in memory (one pruned block while its outputs are recomputed, weights read back from
 * an export). Errors name {@code origin} as the file.
 */
public final class InMemoryTensors implements TensorSource {
    private final Path origin;
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public InMemoryTensors(Path origin) {
        this.origin = origin;
    }

    /** Adds or replaces a tensor (held, not copied); the value count must match the shape. */
    public void put(String name, float[] data, long... shape) {
        long count = 1;
        for (long dimension : shape) {
            count *= dimension;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for shape "
                    + Arrays.toString(shape));
        }
        values.put(name, data);
        shapes.put(name, shape.clone());
    }

    public void remove(String name) {
        values.remove(name);
        shapes.remove(name);
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
            throw new ModelFormatException(origin, name, "not held in memory");
        }
        return new TensorInfo(name, DType.F32, shapes.get(name), origin);
    }

    @Override
    public float[] readFloats(String name) {
        info(name);
        return values.get(name).clone();
    }

    @Override
    public float[] readRange(String name, long first, int count) {
        info(name);
        float[] all = values.get(name);
        TensorSource.checkRange(name, first, count, all.length);
        return Arrays.copyOfRange(all, (int) first, (int) first + count);
    }

    @Override
    public void close() {
        values.clear();
        shapes.clear();
    }
}
