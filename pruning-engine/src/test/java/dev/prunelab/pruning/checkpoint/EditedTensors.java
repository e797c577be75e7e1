package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.model.ForwardingTensorSource;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint's tensors with some shapes changed, or with some tensors removed (shape null), for the layout
 * checks' tests; reading values is not supported.
 */
public record EditedTensors(TensorSource base, Map<String, long[]> shapes) implements ForwardingTensorSource {
    @Override
    public Set<String> names() {
        Set<String> names = new TreeSet<>(base.names());
        shapes.forEach((name, shape) -> {
            if (shape == null) {
                names.remove(name);
            }
        });
        return names;
    }

    @Override
    public boolean contains(String name) {
        return names().contains(name);
    }

    @Override
    public TensorInfo info(String name) {
        if (!contains(name)) {
            throw new ModelFormatException(Path.of("edited"), name, "missing");
        }
        TensorInfo info = base.info(name);
        long[] shape = shapes.get(name);
        return shape == null ? info : new TensorInfo(name, info.dtype(), shape, info.file());
    }

    @Override
    public float[] readFloats(String name) {
        throw new UnsupportedOperationException();
    }
}
