package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * A llama2.c checkpoint (fp32), in either layout its export.py writes:
 * <ul>
 *   <li>legacy ("version 0"): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a
 *       negative vocab_size means an unshared classifier follows), then token embedding, per-kind stacks of
 *       layer weights, the final norm, the RoPE tables freq_cis_real/imag, and the classifier if unshared;</li>
 *   <li>version 1: magic "ak42" (0x616b3432), int32 version 1, the 7 params, a uint8 shared_classifier flag,
 *       zero padding to 256 bytes; then the norms first, the embedding, the layer stacks, the classifier if
 *       unshared; no RoPE tables.</li>
 * </ul>
 * It presents the Hugging Face Llama names. llama2.c rotates adjacent element pairs of each head while Hugging
 * Face rotates the two halves, so q_proj and k_proj rows are permuted on read exactly as Hugging Face's
 * conversion script does; the model's outputs are then identical under the Hugging Face forward pass.
 */
public final class Llama2cCheckpoint implements TensorSource {
    /** "ak42" read as a little-endian uint32. */
    public static final int MAGIC = 0x616b3432;
    private static final int LEGACY_HEADER_BYTES = 7 * 4;
    private static final int V1_HEADER_BYTES = 256;

    public enum Layout { LEGACY, VERSION_1 }

    /** Where a tensor's fp32 values start, and whether its rows need the rotary permutation. */
    private record Slot(TensorInfo info, long offset, int permuteHeads) {
    }

    private final Path file;
    private final TensorFile data;
    private final Layout layout;
    private final LlamaConfig config;
    private final Map<String, Slot> slots;

    private Llama2cCheckpoint(Path file, FileChannel channel, Layout layout, LlamaConfig config, Map<String, Slot> slots) {
        this.file = file;
        this.data = new TensorFile(file, channel);
        this.layout = layout;
        this.config = config;
        this.slots = slots;
    }

    /** What a file that no llama2.c layout describes is called; nothing read from it is repeated. */
    public static final String NOT_A_CHECKPOINT = "is not a llama2.c checkpoint or Hugging Face directory";

    public static Llama2cCheckpoint open(Path file) {
        return TensorFile.open(file, Llama2cCheckpoint::parse);
    }

    private static Llama2cCheckpoint parse(Path file, FileChannel channel) {
        long fileSize;
        ByteBuffer head = ByteBuffer.allocate(V1_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try {
            fileSize = channel.size();
            while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
                // read up to 256 bytes; shorter files are judged below
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read header: " + e.getMessage(), e);
        }
        int available = head.position();
        if (available < LEGACY_HEADER_BYTES) {
            throw new ModelFormatException(file, "truncated: " + fileSize + " bytes cannot hold the "
                    + LEGACY_HEADER_BYTES + "-byte llama2.c header");
        }
        Layout layout;
        int paramsAt;
        long headerBytes;
        boolean shared;
        if (head.getInt(0) == MAGIC) {
            layout = Layout.VERSION_1;
            if (available < V1_HEADER_BYTES) {
                throw new ModelFormatException(file, "truncated: " + fileSize + " bytes cannot hold the "
                        + V1_HEADER_BYTES + "-byte version-1 header");
            }
            int version = head.getInt(4);
            if (version != 1) {
                throw new ModelFormatException(file, "llama2.c export version " + version + " is not supported"
                        + " (only fp32 version 1 and the legacy layout; versions 2+ are quantized)");
            }
            paramsAt = 8;
            headerBytes = V1_HEADER_BYTES;
            int flag = head.get(8 + 7 * 4) & 0xff;
            if (flag > 1) {
                throw new ModelFormatException(file, "shared_classifier flag is " + flag + ", not 0 or 1");
            }
            shared = flag == 1;
        } else {
            layout = Layout.LEGACY;
            paramsAt = 0;
            headerBytes = LEGACY_HEADER_BYTES;
            shared = head.getInt(5 * 4) > 0;
        }
        int dim = head.getInt(paramsAt);
        int hiddenDim = head.getInt(paramsAt + 4);
        int layers = head.getInt(paramsAt + 8);
        int heads = head.getInt(paramsAt + 12);
        int kvHeads = head.getInt(paramsAt + 16);
        int rawVocab = head.getInt(paramsAt + 20);
        int seqLen = head.getInt(paramsAt + 24);
        // A legacy file has no magic number: its first 28 bytes are read as a header whatever the file is. Until
        // they describe a consistent model, nothing decoded from them is printed (they might be /etc/passwd's).
        boolean trusted = layout == Layout.VERSION_1;
        if (layout == Layout.VERSION_1 && rawVocab <= 0) {
            throw reject(file, trusted, "vocab_size " + rawVocab + " must be positive in a version-1 header");
        }
        if (rawVocab == Integer.MIN_VALUE || rawVocab == 0) {
            throw reject(file, trusted, "vocab_size " + rawVocab + " is not a vocabulary size");
        }
        int vocab = Math.abs(rawVocab);
        requirePositive(file, trusted, "dim", dim);
        requirePositive(file, trusted, "hidden_dim", hiddenDim);
        requirePositive(file, trusted, "n_layers", layers);
        requirePositive(file, trusted, "n_heads", heads);
        requirePositive(file, trusted, "n_kv_heads", kvHeads);
        requirePositive(file, trusted, "seq_len", seqLen);
        if (dim % heads != 0) {
            throw reject(file, trusted, "dim " + dim + " is not a multiple of n_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw reject(file, trusted, "n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        }
        int headSize = dim / heads;
        if (headSize % 2 != 0) {
            throw reject(file, trusted, "head size " + headSize + " is odd; rotary embeddings need pairs");
        }
        long kvDim = (long) kvHeads * headSize;

        // Sizes are summed arithmetically first and checked against the file; only a header that matches
        // the file exactly gets its per-layer entries built, so a hostile n_layers cannot exhaust memory.
        long expectedSize;
        try {
            Planner sizing = new Planner(file, headerBytes, null);
            plan(sizing, layout, dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen, headSize, kvDim, shared);
            expectedSize = sizing.offset;
        } catch (ArithmeticException e) {
            throw reject(file, trusted, "header (dim " + dim + ", hidden_dim " + hiddenDim + ", n_layers "
                    + layers + ", vocab_size " + vocab + ", seq_len " + seqLen + ") implies more than 2^63 bytes");
        }
        if (fileSize < expectedSize) {
            throw new ModelFormatException(file, trusted
                    ? "truncated: the header implies " + expectedSize + " bytes but the file has " + fileSize
                    : "truncated: its " + fileSize + " bytes are fewer than the llama2.c layout its header describes");
        }
        if (fileSize > expectedSize) {
            throw new ModelFormatException(file, trusted
                    ? "trailing bytes: the header implies " + expectedSize + " bytes but the file has " + fileSize
                            + " (wrong layout or a different export version?)"
                    : "trailing bytes: its " + fileSize + " bytes are more than the llama2.c layout its header "
                            + "describes (wrong layout or a different export version?)");
        }
        Map<String, Slot> slots = new TreeMap<>();
        plan(new Planner(file, headerBytes, slots), layout, dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen,
                headSize, kvDim, shared);
        LlamaConfig config;
        try {
            config = new LlamaConfig("llama", vocab, dim, hiddenDim, layers, heads, kvHeads, headSize, seqLen,
                    1e-5, 10000.0, shared, false, false);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "header is not a valid Llama config: " + e.getMessage());
        }
        return new Llama2cCheckpoint(file, channel, layout, config, Collections.unmodifiableMap(slots));
    }

    /** Lays out the tensors in the order of the file's layout (see the class comment). */
    private static void plan(Planner plan, Layout layout, int dim, int hiddenDim, int layers, int heads, int kvHeads,
                             int vocab, int seqLen, int headSize, long kvDim, boolean shared) {
        if (layout == Layout.LEGACY) {
            plan.single(LlamaNames.EMBED, vocab, dim);
            plan.stack(layers, i -> LlamaNames.inputNorm(i), 0, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "q_proj.weight"), heads, dim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "k_proj.weight"), kvHeads, kvDim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "v_proj.weight"), 0, kvDim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "o_proj.weight"), 0, dim, dim);
            plan.stack(layers, i -> LlamaNames.postAttentionNorm(i), 0, dim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "gate_proj.weight"), 0, hiddenDim, dim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "down_proj.weight"), 0, dim, hiddenDim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "up_proj.weight"), 0, hiddenDim, dim);
            plan.single(LlamaNames.FINAL_NORM, dim);
            // freq_cis_real and freq_cis_imag: RoPE tables recomputed by every runtime, so skipped, not exposed.
            plan.skip(Math.multiplyExact(2L, Math.multiplyExact((long) seqLen, headSize / 2)));
        } else {
            plan.stack(layers, i -> LlamaNames.inputNorm(i), 0, dim);
            plan.stack(layers, i -> LlamaNames.postAttentionNorm(i), 0, dim);
            plan.single(LlamaNames.FINAL_NORM, dim);
            plan.single(LlamaNames.EMBED, vocab, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "q_proj.weight"), heads, dim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "k_proj.weight"), kvHeads, kvDim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "v_proj.weight"), 0, kvDim, dim);
            plan.stack(layers, i -> LlamaNames.attention(i, "o_proj.weight"), 0, dim, dim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "gate_proj.weight"), 0, hiddenDim, dim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "down_proj.weight"), 0, dim, hiddenDim);
            plan.stack(layers, i -> LlamaNames.mlp(i, "up_proj.weight"), 0, hiddenDim, dim);
        }
        if (!shared) {
            plan.single(LlamaNames.LM_HEAD, vocab, dim);
        }
    }

    private static void requirePositive(Path file, boolean trusted, String field, int value) {
        if (value <= 0) {
            throw reject(file, trusted, "header field " + field + " is " + value + ", must be positive");
        }
    }

    /** The header's problem as it is for a version-1 file; for a legacy file, only that it is no checkpoint. */
    private static ModelFormatException reject(Path file, boolean trusted, String problem) {
        return new ModelFormatException(file, trusted ? problem : NOT_A_CHECKPOINT);
    }

    /** Lays tensors out one after another from the end of the header, with overflow-checked offsets. */
    private static final class Planner {
        private final Path file;
        private final Map<String, Slot> slots;
        private long offset;

        Planner(Path file, long start, Map<String, Slot> slots) {
            this.file = file;
            this.offset = start;
            this.slots = slots;
        }

        void single(String name, long... shape) {
            add(name, 0, shape);
        }

        void stack(int layers, IntFunction<String> name, int permuteHeads, long... shape) {
            if (slots == null) {
                long bytes = 4;
                for (long dimension : shape) {
                    bytes = Math.multiplyExact(bytes, dimension);
                }
                offset = Math.addExact(offset, Math.multiplyExact(bytes, (long) layers));
                return;
            }
            for (int layer = 0; layer < layers; layer++) {
                add(name.apply(layer), permuteHeads, shape);
            }
        }

        void skip(long floats) {
            offset = Math.addExact(offset, Math.multiplyExact(floats, 4L));
        }

        private void add(String name, int permuteHeads, long[] shape) {
            if (slots == null) {
                long bytes = 4;
                for (long dimension : shape) {
                    bytes = Math.multiplyExact(bytes, dimension);
                }
                offset = Math.addExact(offset, bytes);
                return;
            }
            TensorInfo info = new TensorInfo(name, DType.F32, shape, file);
            slots.put(name, new Slot(info, offset, permuteHeads));
            offset = Math.addExact(offset, info.sizeBytes());
        }
    }

    public Path file() {
        return file;
    }

    public Layout layout() {
        return layout;
    }

    /** The Hugging Face view of the header: rms_norm_eps 1e-5 and rope_theta 10000 as llama2.c hard-codes. */
    public LlamaConfig config() {
        return config;
    }

    /** Byte offset of a tensor's fp32 values in the file (before any row permutation). */
    public long dataOffset(String name) {
        return slot(name).offset();
    }

    @Override
    public Set<String> names() {
        return slots.keySet();
    }

    @Override
    public boolean contains(String name) {
        return slots.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return slot(name).info();
    }

    @Override
    public float[] readFloats(String name) {
        Slot slot = slot(name);
        TensorInfo info = slot.info();
        float[] values = data.readFloats(name, slot.offset(), DType.F32, info.elementCount());
        if (slot.permuteHeads() == 0) {
            return values;
        }
        return interleavedToHalves(values, slot.permuteHeads(), (int) info.dimension(0), (int) info.dimension(1));
    }

    /**
     * Hugging Face's permute(w, n_heads, rows, cols) = w.view(n_heads, rows/n_heads/2, 2, cols).transpose(1, 2):
     * within each head, source row 2i+j (pair i, element j) moves to row j*half + i, so the first elements of
     * all pairs come first and the second elements after them.
     */
    static float[] interleavedToHalves(float[] values, int heads, int rows, int cols) {
        int headDim = rows / heads;
        int half = headDim / 2;
        float[] permuted = new float[values.length];
        for (int head = 0; head < heads; head++) {
            int base = head * headDim;
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int from = base + 2 * i + j;
                    int to = base + j * half + i;
                    System.arraycopy(values, from * cols, permuted, to * cols, cols);
                }
            }
        }
        return permuted;
    }

    private Slot slot(String name) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new ModelFormatException(file, name, "not in this llama2.c checkpoint");
        }
        return slot;
    }

    @Override
    public void close() {
        data.close();
    }
}
