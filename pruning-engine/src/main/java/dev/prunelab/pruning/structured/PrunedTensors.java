package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The model's tensors with the structurally pruned ones replaced by smaller float32 copies held in memory, and
 * tensors the model lacked (a bias created by FLAP's compensation) added. Closing releases the copies only; the
 * base belongs to the loaded model.
 */
final class PrunedTensors implements TensorSource {
    private static final Path IN_MEMORY = Path.of("<structurally pruned in memory>");
    private final TensorSource base;
    private final Map<String, float[]> values = new HashMap<>();
    private final Map<String, long[]> shapes = new HashMap<>();

    PrunedTensors(TensorSource base) {
        this.base = base;
    }

    void put(String name, float[] data, long... shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for shape "
                    + java.util.Arrays.toString(shape));
        }
        values.put(name, data);
        shapes.put(name, shape.clone());
    }

    @Override
    public Set<String> names() {
        TreeSet<String> names = new TreeSet<>(base.names());
        names.addAll(values.keySet());
        return Collections.unmodifiableSet(names);
    }

    @Override
    public boolean contains(String name) {
        return values.containsKey(name) || base.contains(name);
    }

    @Override
    public TensorInfo info(String name) {
        return values.containsKey(name) ? new TensorInfo(name, DType.F32, shapes.get(name), IN_MEMORY)
                : base.info(name);
    }

    @Override
    public float[] readFloats(String name) {
        return values.containsKey(name) ? values.get(name).clone() : base.readFloats(name);
    }

    @Override
    public void close() {
        values.clear();
        shapes.clear();
    }
}
