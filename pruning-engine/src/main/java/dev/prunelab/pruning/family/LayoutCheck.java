package dev.prunelab.pruning.family;

import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;

/** Shape assertions on a model's tensors whose errors name the tensor, its file and both shapes. */
public final class LayoutCheck {
    private final TensorSource tensors;
    private final Path source;
    private final DecoderConfig config;
    private final boolean asPublished;

    /**
     * A check of per-layer widths for consistency only (a structurally pruned model narrows layers).
     *
     * @param source named in the error when a tensor is missing
     */
    public LayoutCheck(TensorSource tensors, Path source, DecoderConfig config) {
        this(tensors, source, config, false);
    }

    private LayoutCheck(TensorSource tensors, Path source, DecoderConfig config, boolean asPublished) {
        this.tensors = tensors;
        this.source = source;
        this.config = config;
        this.asPublished = asPublished;
    }

    /** A check of a checkpoint as it was opened, whose every width must also be the one its config.json gives. */
    public static LayoutCheck ofCheckpoint(TensorSource tensors, Path source, DecoderConfig config) {
        return new LayoutCheck(tensors, source, config, true);
    }

    /**
     * In a checkpoint as opened ({@link #ofCheckpoint}), {@code actual} (a width read off tensor {@code name}) must
     * be {@code expected}, the width config.json's {@code fields} give; the error names the tensor and the fields.
     */
    public void configured(String name, long actual, long expected, String what, String fields) {
        if (asPublished && actual != expected) {
            throw invalid(name, actual + " " + what + " where config.json's " + fields + " says " + expected);
        }
    }

    public boolean present(String name) {
        return tensors.contains(name);
    }

    /** An error about tensor {@code name}. */
    public ModelFormatException invalid(String name, String problem) {
        return new ModelFormatException(info(name).file(), name, problem);
    }

    private TensorInfo info(String name) {
        if (!tensors.contains(name)) {
            throw new ModelFormatException(source, name, "missing (required by the " + config.modelType()
                    + " layout)");
        }
        return tensors.info(name);
    }

    /**
     * The ends of a decoder whose head is a plain matrix: the embedding [vocab, hidden], the final norm [hidden] and the
     * head [vocab, hidden], which a tied model may leave out (and which is checked when it is stored anyway).
     */
    public void embeddingNormAndHead(String embedding, String finalNorm, String head, long vocab, long hidden,
            boolean tied) {
        exact(embedding, vocab, hidden);
        exact(finalNorm, hidden);
        if (!tied || present(head)) {
            exact(head, vocab, hidden);
        }
    }

    public void exact(String name, long... expected) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), expected)) {
            throw new ModelFormatException(info.file(), name, "shape " + Arrays.toString(info.shape())
                    + " where " + Arrays.toString(expected) + " was expected");
        }
    }

    /**
     * The q, k, v and o projections' weights (module prefixes ending in ".") of grouped-query attention with
     * {@code headDim}-wide heads: heads counted from the rows, as configured and grouped evenly; returns the q and
     * the key/value rows.
     */
    /**
     * A Llama-style block's attention under {@code prefix} (".../self_attn."): q/k/v/o by {@link #groupedAttention},
     * the q/k/v biases and the output bias where the config has them, and the per-head q/k norms (Qwen 3, Gemma 3).
     */
    public void llamaStyleAttention(DecoderConfig c, long headDim, String prefix, boolean qkvBias, boolean outputBias,
            boolean qkNorm) {
        String q = prefix + "q_proj.";
        String k = prefix + "k_proj.";
        String v = prefix + "v_proj.";
        String o = prefix + "o_proj.";
        long[] rows = groupedAttention(c, headDim, q, k, v, o);
        if (qkvBias) {
            exact(q + "bias", rows[0]);
            exact(k + "bias", rows[1]);
            exact(v + "bias", rows[1]);
        }
        if (outputBias) {
            exact(o + "bias", c.hiddenSize());
        }
        if (qkNorm) {
            exact(prefix + "q_norm.weight", headDim);
            exact(prefix + "k_norm.weight", headDim);
        }
    }

    /**
     * A gated MLP under {@code prefix} (".../mlp."): gate and up [width, hidden], down [hidden, width], the width a
     * whole number of rows that config.json's intermediate_size names when the checkpoint is as published.
     */
    public void gatedMlp(String prefix, long hidden, long intermediateSize, boolean bias) {
        String gate = prefix + "gate_proj.";
        String up = prefix + "up_proj.";
        String down = prefix + "down_proj.";
        long width = rows(gate + "weight", hidden, 1, "1");
        configured(gate + "weight", width, intermediateSize, "rows", "intermediate_size");
        exact(up + "weight", width, hidden);
        exact(down + "weight", hidden, width);
        if (bias) {
            exact(gate + "bias", width);
            exact(up + "bias", width);
            exact(down + "bias", hidden);
        }
    }

    public long[] groupedAttention(DecoderConfig c, long headDim, String q, String k, String v, String o) {
        long hidden = c.hiddenSize();
        long qRows = rows(q + "weight", hidden, headDim, "head_dim");
        long kvRows = rows(k + "weight", hidden, headDim, "head_dim");
        exact(v + "weight", kvRows, hidden);
        exact(o + "weight", hidden, qRows);
        long qHeads = qRows / headDim;
        long kvHeads = kvRows / headDim;
        configured(q + "weight", qHeads, c.numHeads(), "query heads (rows / head_dim " + headDim + ")",
                "num_attention_heads");
        configured(k + "weight", kvHeads, c.numKvHeads(), "key/value heads (rows / head_dim " + headDim + ")",
                "num_key_value_heads");
        if (kvHeads == 0 ? qHeads != 0 : qHeads % kvHeads != 0) {
            throw invalid(q + "weight", qHeads + " query heads cannot be grouped over " + kvHeads
                    + " key/value heads");
        }
        return new long[] {qRows, kvRows};
    }

    /** A [rows, columns] matrix with the given columns and rows a multiple of unit; returns rows. */
    public long rows(String name, long columns, long unit, String unitName) {
        return multiple(name, 0, columns, unit, "[k * " + unitName + " (" + unit + "), " + columns + "]");
    }

    /** A [rows, columns] matrix with the given rows and columns a multiple of unit; returns columns. */
    public long columns(String name, long rows, long unit, String unitName) {
        return multiple(name, 1, rows, unit, "[" + rows + ", k * " + unitName + " (" + unit + ")]");
    }

    /** A matrix whose other axis is {@code other} and whose {@code axis} is a multiple of unit; returns that axis. */
    private long multiple(String name, int axis, long other, long unit, String expected) {
        long[] shape = matrix(name);
        if (shape[1 - axis] != other || shape[axis] % unit != 0) {
            throw invalid(name, "shape " + Arrays.toString(shape) + " where " + expected + " was expected");
        }
        return shape[axis];
    }

    private long[] matrix(String name) {
        TensorInfo info = info(name);
        if (info.rank() != 2) {
            throw new ModelFormatException(info.file(), name, "rank " + info.rank() + " (shape "
                    + Arrays.toString(info.shape()) + ") where a matrix was expected");
        }
        return info.shape();
    }
}
