package dev.prunelab.pruning.family;

/** One tensor of a family's checkpoint layout, and how a synthesised checkpoint initialises it. */
public record CheckpointTensor(String name, long[] shape, Init init) {

    /** How a tensor is initialised. */
    public enum Init {
        WEIGHT, NORM, BIAS
    }

    public CheckpointTensor {
        shape = shape.clone();
        if (name == null || name.isEmpty() || init == null) {
            throw new IllegalArgumentException("tensor needs a name and an init");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
