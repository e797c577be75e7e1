package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The model's tensors with some replaced or added: tensors in {@code overrides} (pruned weights, a cut embedding
 * table, a bias FLAP created) come from there, everything else from {@code base}. Closing closes the overrides
 * only; the base belongs to the loaded model.
 */
public class OverlayTensors implements TensorSource {
    private final TensorSource base;
    private final TensorSource overrides;

    public OverlayTensors(TensorSource base, TensorSource overrides) {
        this.base = base;
        this.overrides = overrides;
    }

    @Override
    public Set<String> names() {
        TreeSet<String> names = new TreeSet<>(base.names());
        names.addAll(overrides.names());
        return Collections.unmodifiableSet(names);
    }

    @Override
    public boolean contains(String name) {
        return overrides.contains(name) || base.contains(name);
    }

    @Override
    public TensorInfo info(String name) {
        return overrides.contains(name) ? overrides.info(name) : base.info(name);
    }

    @Override
    public float[] readFloats(String name) {
        return overrides.contains(name) ? overrides.readFloats(name) : base.readFloats(name);
    }

    @Override
    public float[] readRange(String name, long first, int count) {
        return overrides.contains(name) ? overrides.readRange(name, first, count) : base.readRange(name, first, count);
    }

    @Override
    public void close() {
        overrides.close();
    }
}
