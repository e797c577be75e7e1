package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An exported decoder loaded into ONNX Runtime: one call runs prefill or a cached decode step for a batch.
 * Records which execution provider it actually runs on.
 */
public final class DecoderSession implements AutoCloseable {
    /** A forward pass asks only for the logits; the presents are bound to the cache's own buffers. */
    private static final Set<String> LOGITS_ONLY = Set.of(DecoderIo.LOGITS);

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final ModelCard card;
    private final Path directory;
    private final String providerUsed;
    private final int cudaDevice;         // the CUDA ordinal the session runs on, or -1 on the CPU
    private final String providerNote;
    private final int[] kvWidths;          // per layer: kv heads x head dim, the cache's last axis
    private final double loadSeconds;
    private final Path expandedCopy;     // temporary expansion of compressed weights, removed on close; or null
    private final int threads;
    private final boolean spinning;
    private boolean closed;

    private DecoderSession(OrtEnvironment environment, OrtSessions.Created created, ModelCard card, Path directory,
            int[] kvWidths, double loadSeconds, Path expandedCopy) {
        this.environment = environment;
        this.session = created.session();
        this.card = card;
        this.directory = directory;
        this.providerUsed = created.providerUsed();
        this.cudaDevice = created.cudaDevice();
        this.providerNote = created.providerNote();
        this.kvWidths = kvWidths;
        this.loadSeconds = loadSeconds;
        this.expandedCopy = expandedCopy;
        this.threads = created.threads();
        this.spinning = created.spinning();
    }

    /** ONNX Runtime intra-op threads this session runs with (the request's, or what auto chose). */
    public int threads() {
        return threads;
    }

    /** Whether ONNX Runtime's pool threads spin between operators (only when asked for). */
    public boolean spinning() {
        return spinning;
    }

    public static DecoderSession open(Path directory, RuntimeOptions options) {
        long start = System.nanoTime();
        Path modelFile = directory.resolve(DecoderIo.MODEL_FILE);
        if (!Files.isRegularFile(modelFile)) {
            throw new IllegalArgumentException(modelFile + " does not exist: is " + directory
                    + " a directory written by './lab export' or './lab prune'?");
        }
        ModelCard card = ModelCard.read(directory);
        if (card.cache().orElse(null) == CacheInterface.GROWING) {
            throw new IllegalArgumentException(modelFile + ": the graph has the growing KV-cache interface (opset "
                    + CacheInterface.GROWING.opset() + ", for other runtimes); the lab measures the in-place one: "
                    + "export it again without '--cache growing'");
        }
        LoadMemory.check(directory, card);
        // ONNX Runtime reads only plain external data: expand next to a copy of the graph, load, delete on close
        Path expanded = ModelCard.STORAGE_EXTERNAL_SPARSE.equals(card.weightStorage())
                ? ExpandedWeights.expand(directory) : null;
        Path loadFrom = expanded == null ? modelFile : expanded.resolve(DecoderIo.MODEL_FILE);
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try {
            OrtSessions.Created created = OrtSessions.create(environment, loadFrom, options);
            int[] kvWidths;
            try {
                kvWidths = OrtSessions.kvWidths(created.session(), card);
            } catch (IllegalArgumentException e) {
                created.session().close();
                throw new IllegalArgumentException(modelFile + ": " + e.getMessage());
            }
            return new DecoderSession(environment, created, card, directory, kvWidths,
                    (System.nanoTime() - start) / 1e9, expanded);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load " + modelFile + ": " + e.getMessage(), e);
        }
    }

    public ModelCard card() {
        return card;
    }

    public Path directory() {
        return directory;
    }

    /** "cpu" or "cuda": the provider this session really runs on. */
    public String providerUsed() {
        return providerUsed;
    }

    /** The CUDA device ordinal this session runs on, or -1 when it runs on the CPU. */
    public int cudaDevice() {
        return cudaDevice;
    }

    /** Why a preferred provider was not used, or null. */
    public String providerNote() {
        return providerNote;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    /**
     * An empty cache for {@code batch} rows and up to {@code capacity} positions (at most the model's context): the
     * buffers every later step of this batch reads and writes in place.
     */
    public KvCache newCache(int batch, int capacity) {
        if (capacity > card.contextLength()) {
            throw new IllegalArgumentException("a cache of " + capacity + " positions exceeds the model's context of "
                    + card.contextLength());
        }
        return new KvCache(environment, batch, capacity, kvWidths);
    }

    /**
     * One forward pass of {@code sequence = inputIds.length / batch} new positions per row, written into
     * {@code cache} after its {@link KvCache#length()} positions and advancing it. {@code inputIds} and
     * {@code positionIds} are [batch, sequence] flattened; {@code attentionMask} is [batch, length + sequence]
     * flattened (1 = visible, 0 = padding). The returned step owns the new logits.
     */
    public Step forward(long[] inputIds, long[] attentionMask, long[] positionIds, int batch, KvCache cache) {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
        int sequence = inputIds.length / batch;
        int total = cache.length() + sequence;
        if (cache.batch() != batch || inputIds.length != (long) batch * sequence) {
            throw new IllegalArgumentException("input ids must be [batch, sequence] for the cache's " + cache.batch()
                    + " rows; got " + inputIds.length + " ids for batch " + batch);
        }
        if (attentionMask.length != (long) batch * total || positionIds.length != inputIds.length) {
            throw new IllegalArgumentException("attention mask must be [batch, past + sequence] = [" + batch + ", "
                    + total + "], position ids [batch, sequence]");
        }
        if (total > cache.capacity()) {
            throw new IllegalArgumentException(sequence + " new positions after " + cache.length()
                    + " do not fit a cache of " + cache.capacity());
        }
        cache.prepare(attentionMask, sequence);
        try (OnnxTensor ids = OnnxTensor.createTensor(environment, LongBuffer.wrap(inputIds), new long[] {batch, sequence});
             OnnxTensor positions = OnnxTensor.createTensor(environment, LongBuffer.wrap(positionIds),
                     new long[] {batch, sequence})) {
            OrtSession.Result result = session.run(inputs(ids, positions, cache), LOGITS_ONLY, cache.outputs());
            cache.advance(sequence);
            FloatBuffer logitsBuffer = ((OnnxTensor) result.get(DecoderIo.LOGITS).orElseThrow()).getFloatBuffer();
            return new Step(logitsBuffer, batch, sequence, card.vocabSize(), result);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed running " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The graph's inputs: ids and positions, and the cache's past, mask and write index. */
    private static Map<String, OnnxTensor> inputs(OnnxTensor ids, OnnxTensor positions, KvCache cache) {
        Map<String, OnnxTensor> inputs = new HashMap<>(cache.inputs());
        inputs.put(DecoderIo.INPUT_IDS, ids);
        inputs.put(DecoderIo.POSITION_IDS, positions);
        return inputs;
    }

    /**
     * Buffers that one batch's cached decode steps reuse, so a step allocates and copies nothing of its own: the
     * token and position inputs are direct buffers ONNX Runtime reads in place, and the logits are a pinned output
     * ONNX Runtime writes straight into (at batch 1 a step of stories15M takes about 3 ms, of which copying and
     * allocating a fresh [batch, vocab] array and three input tensors took a measurable share); the mask and the
     * keys and values live in the {@link KvCache}.
     */
    public DecodeBuffers decodeBuffers(int batch) {
        return new DecodeBuffers(batch);
    }

    /** See {@link #decodeBuffers}; closed by its owner, after the last step that used it. */
    public final class DecodeBuffers implements AutoCloseable {
        private final int batch;
        private final LongBuffer tokens;
        private final LongBuffer positions;
        private final FloatBuffer logits;
        private final OnnxTensor tokensTensor;
        private final OnnxTensor positionsTensor;
        private final OnnxTensor logitsTensor;

        private DecodeBuffers(int batch) {
            this.batch = batch;
            tokens = DirectBuffers.longs(batch);
            positions = DirectBuffers.longs(batch);
            logits = DirectBuffers.floats((long) batch * card.vocabSize());
            try {
                tokensTensor = OnnxTensor.createTensor(environment, tokens, new long[] {batch, 1});
                positionsTensor = OnnxTensor.createTensor(environment, positions, new long[] {batch, 1});
                logitsTensor = OnnxTensor.createTensor(environment, logits, new long[] {batch, 1, card.vocabSize()});
            } catch (OrtException e) {
                throw new IllegalStateException("cannot create decode buffers: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            tokensTensor.close();
            positionsTensor.close();
            logitsTensor.close();
        }
    }

    /**
     * One cached decode step: token {@code tokens[b]} at position {@code cache.length()} for every row, its slot
     * visible, the rest of the mask as the earlier steps left it. Writes the new keys and values into the cache and
     * advances it. The returned step's logits [batch, 1, vocab] live in {@code buffers} and are overwritten by the
     * next step that uses them.
     */
    public Step decode(long[] tokens, KvCache cache, DecodeBuffers buffers) {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
        int batch = buffers.batch;
        if (tokens.length != batch || cache.batch() != batch || cache.length() >= cache.capacity()) {
            throw new IllegalArgumentException("a decode step takes one token per row of " + batch + " rows into a "
                    + "cache of " + cache.capacity() + " positions; got " + tokens.length + " tokens for "
                    + cache.batch() + " rows at position " + cache.length());
        }
        for (int b = 0; b < batch; b++) {
            buffers.tokens.put(b, tokens[b]);
            buffers.positions.put(b, cache.length());
        }
        cache.prepareDecode();
        Map<String, OnnxTensor> outputs = new HashMap<>(cache.outputs());
        outputs.put(DecoderIo.LOGITS, buffers.logitsTensor);
        try (OrtSession.Result result = session.run(inputs(buffers.tokensTensor, buffers.positionsTensor, cache),
                outputs)) {
            cache.advance(1);
            return new Step(buffers.logits, batch, 1, card.vocabSize(), null);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed running " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Logits [batch, sequence, vocab], valid until the step is closed (or, for a decode step, until the next step
     * on the same buffers).
     */
    public static final class Step implements AutoCloseable {
        private final FloatBuffer logits;
        private final int batch;
        private final int sequence;
        private final int vocab;
        private final OrtSession.Result owner;   // the run's result holding the logits, or null (pinned logits)

        Step(FloatBuffer logits, int batch, int sequence, int vocab, OrtSession.Result owner) {
            this.logits = logits;
            this.batch = batch;
            this.sequence = sequence;
            this.vocab = vocab;
            this.owner = owner;
        }

        public FloatBuffer logits() {
            return logits;
        }

        public int batch() {
            return batch;
        }

        public int sequence() {
            return sequence;
        }

        public int vocab() {
            return vocab;
        }

        /** Logits of one position as a new array. */
        public float[] logitsAt(int row, int position) {
            float[] out = new float[vocab];
            logits.get(((row * sequence) + position) * vocab, out);
            return out;
        }

        @Override
        public void close() {
            if (owner != null) {
                owner.close();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close session", e);
        } finally {
            if (expandedCopy != null) {
                ExpandedWeights.remove(expandedCopy);
            }
        }
    }
}
