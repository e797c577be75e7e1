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
    /** Tables up to this size (float32) are read whole. */
    static final long WHOLE_TABLE_BYTES = 256L << 20;

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
        long vocabulary = info.dimension(0);
        float[] kept = new float[rows.length * width];
        // A large table is read run of consecutive ids by run: only the rows used leave the file (8B: a 2 GB table,
        // ~100 MB used). A small one is read whole once: thousands of small reads would cost more (stories15M: 8 s
        // against 40 ms), and a source that cannot read a range reads the whole tensor for each.
        float[] table = info.elementCount() * Float.BYTES <= WHOLE_TABLE_BYTES ? base.readFloats(embeddingName) : null;
        for (int r = 0, end; r < rows.length; r = end) {
            if (rows[r] < 0 || rows[r] >= vocabulary) {
                throw new IllegalArgumentException("calibration token id " + rows[r]
                        + " is outside the model's vocabulary: does the tokenizer match the model?");
            }
            end = r + 1;
            while (end < rows.length && rows[end] == rows[end - 1] + 1 && rows[end] < vocabulary) {
                end++;
            }
            if (table != null) {
                System.arraycopy(table, rows[r] * width, kept, r * width, (end - r) * width);
            } else {
                float[] run = base.readRange(embeddingName, (long) rows[r] * width, (end - r) * width);
                System.arraycopy(run, 0, kept, r * width, run.length);
            }
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
