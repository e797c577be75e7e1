package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The model's tensors with the token embedding table cut down to the rows the calibration windows use, and
 * the windows re-indexed into it. A 128k x 2048 table is 1 GB in float32; the calibration embedding graph then
 * holds a few thousand rows instead (ONNX Runtime and the protobuf would otherwise each copy the whole table).
 */
public final class EmbeddingRows extends OverlayTensors {
    private final int[] rows;           // sorted distinct token ids
    private final String embeddingName;
    private final DType embeddingDtype;

    public EmbeddingRows(TensorSource base, String embeddingName, List<int[]> windows) {
        this(base, embeddingName, windows.stream().flatMapToInt(Arrays::stream).distinct().sorted().toArray(),
                new InMemoryTensors(Path.of("<calibration rows of " + embeddingName + ">")));
    }

    private EmbeddingRows(TensorSource base, String embeddingName, int[] rows, InMemoryTensors cut) {
        super(base, cut);
        this.rows = rows;
        this.embeddingName = embeddingName;
        TensorInfo info = base.info(embeddingName);
        this.embeddingDtype = info.dtype();
        int width = (int) info.dimension(1);
        float[] table = base.readFloats(embeddingName);
        float[] kept = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] < 0 || (long) (rows[r] + 1) * width > table.length) {
                throw new IllegalArgumentException("calibration token id " + rows[r]
                        + " is outside the model's vocabulary: does the tokenizer match the model?");
            }
            System.arraycopy(table, rows[r] * width, kept, r * width, width);
        }
        cut.put(embeddingName, kept, rows.length, width);
    }

    /**
     * The cut table keeps the stored dtype of the whole one (its values are widened exactly), which a family may
     * compute with (Gemma's embedding scale is rounded to it).
     */
    @Override
    public TensorInfo info(String name) {
        TensorInfo info = super.info(name);
        return name.equals(embeddingName) ? new TensorInfo(name, embeddingDtype, info.shape(), info.file()) : info;
    }

    /** The window with every token id replaced by its row in the cut table. */
    public int[] reindex(int[] window) {
        int[] compact = new int[window.length];
        for (int i = 0; i < window.length; i++) {
            compact[i] = Arrays.binarySearch(rows, window[i]);
        }
        return compact;
    }
}
