package dev.prunelab.pruning.pipeline;

import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Set;

/**
 * The model's tensors with some replaced: pruned weights come from {@code overrides}, everything else from
 * {@code base}. Closing closes the overrides only; the base belongs to the loaded model.
 */
final class OverlayTensors implements TensorSource {
    private final TensorSource base;
    private final TensorSource overrides;

    OverlayTensors(TensorSource base, TensorSource overrides) {
        this.base = base;
        this.overrides = overrides;
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    @Override
    public boolean contains(String name) {
        return base.contains(name);
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
    public void close() {
        overrides.close();
    }
}
