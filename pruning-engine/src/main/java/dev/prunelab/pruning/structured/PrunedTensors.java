package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;

/**
 * The model's tensors with the structurally pruned ones replaced by smaller float32 copies held in memory, and
 * tensors the model lacked (a bias created by FLAP's compensation) added. Closing releases the copies only; the
 * base belongs to the loaded model.
 */
final class PrunedTensors extends OverlayTensors {
    private final InMemoryTensors copies;

    PrunedTensors(TensorSource base) {
        this(base, new InMemoryTensors(Path.of("<structurally pruned in memory>")));
    }

    private PrunedTensors(TensorSource base, InMemoryTensors copies) {
        super(base, copies);
        this.copies = copies;
    }

    /** Replaces or adds a tensor (held, not copied). */
    void put(String name, float[] data, long... shape) {
        copies.put(name, data, shape);
    }
}
