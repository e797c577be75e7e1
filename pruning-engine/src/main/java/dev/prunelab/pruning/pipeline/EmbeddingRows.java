package dev.prunelab.pruning.pipeline;

import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The model's tensors with the token embedding table cut down to the rows the calibration windows use, and
 * the windows re-indexed into it. A 128k x 2048 table is 1 GB in float32; the calibration embedding graph then
 * holds a few thousand rows instead (ONNX Runtime and the protobuf would otherwise each copy the whole table).
 */
public final class EmbeddingRows implements TensorSource {
    private final TensorSource base;
    private final String embeddingName;
    private final int[] rows;           // sorted distinct token ids

    public EmbeddingRows(TensorSource base, String embeddingName, List<int[]> windows) {
        this.base = base;
        this.embeddingName = embeddingName;
        this.rows = windows.stream().flatMapToInt(Arrays::stream).distinct().sorted().toArray();
    }

    /** The window with every token id replaced by its row in the cut table. */
    public int[] reindex(int[] window) {
        int[] compact = new int[window.length];
        for (int i = 0; i < window.length; i++) {
            compact[i] = Arrays.binarySearch(rows, window[i]);
        }
        return compact;
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
        TensorInfo info = base.info(name);
        if (!name.equals(embeddingName)) {
            return info;
        }
        return new TensorInfo(name, info.dtype(), new long[] {rows.length, info.dimension(1)}, info.file());
    }

    @Override
    public float[] readFloats(String name) {
        if (!name.equals(embeddingName)) {
            return base.readFloats(name);
        }
        int width = (int) base.info(name).dimension(1);
        float[] table = base.readFloats(name);
        float[] cut = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] < 0 || (long) (rows[r] + 1) * width > table.length) {
                throw new IllegalArgumentException("calibration token id " + rows[r]
                        + " is outside the model's vocabulary: does the tokenizer match the model?");
            }
            System.arraycopy(table, rows[r] * width, cut, r * width, width);
        }
        return cut;
    }

    @Override
    public void close() {
    }
}
