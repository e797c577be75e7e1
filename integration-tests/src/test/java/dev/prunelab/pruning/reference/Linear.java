package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;

/**
 * An affine map {@code y = W x + b} with W stored row-major as [out, in] (torch.nn.Linear's layout).
 * GPT-2's Conv1D ({@code y = x W + b}, W stored [in, out]) is transposed into this layout when read.
 *
 * @param bias null when the module has none
 */
record Linear(float[] weight, float[] bias, int out, int in) {

    Linear {
        if (weight.length != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.length + " values, not " + out + "x" + in);
        }
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException("bias has " + bias.length + " values, not " + out);
        }
    }

    /** The torch.nn.Linear "{@code module}.weight" [out, in] and, if the source has one, "{@code module}.bias". */
    static Linear read(TensorSource source, String module) {
        Linear weight = ofWeight(source, module + ".weight");
        return new Linear(weight.weight, readBias(source, module, weight.out), weight.out, weight.in);
    }

    /** A GPT-2 Conv1D "{@code module}.weight" [in, out] (+ bias), transposed to [out, in]. */
    static Linear readConv1D(TensorSource source, String module) {
        Linear stored = ofWeight(source, module + ".weight"); // [in, out] read as a table: its rows are the inputs
        int in = stored.out;
        int out = stored.in;
        float[] transposed = new float[stored.weight.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                transposed[o * in + i] = stored.weight[i * out + o];
            }
        }
        return new Linear(transposed, readBias(source, module, out), out, in);
    }

    /** A bias-free map from a [out, in] table, e.g. a tied LM head reading the embedding matrix. */
    static Linear ofWeight(TensorSource source, String name) {
        TensorInfo info = source.info(name);
        requireRank2(info);
        return new Linear(source.readFloats(name), null, (int) info.dimension(0), (int) info.dimension(1));
    }

    float[] apply(float[] x) {
        if (x.length != in) {
            throw new IllegalArgumentException("input width " + x.length + " where " + in + " was expected");
        }
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double sum = Ops.dot(weight, o * in, x, 0, in);
            if (bias != null) {
                sum += bias[o];
            }
            y[o] = (float) sum;
        }
        return y;
    }

    /** Row {@code index} of the weight table (an embedding lookup). */
    float[] row(int index) {
        if (index < 0 || index >= out) {
            throw new IndexOutOfBoundsException("row " + index + " of a table with " + out + " rows");
        }
        float[] row = new float[in];
        System.arraycopy(weight, index * in, row, 0, in);
        return row;
    }

    private static float[] readBias(TensorSource source, String module, int out) {
        String name = module + ".bias";
        return source.contains(name) ? source.readFloats(name, out) : null;
    }

    private static void requireRank2(TensorInfo info) {
        if (info.rank() != 2) {
            throw new IllegalArgumentException(info + ": expected a matrix");
        }
    }
}
