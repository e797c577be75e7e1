package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.modelformat.CompressedWeights;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * An exported decoder loaded into ONNX Runtime: one call runs prefill or a cached decode step for a batch.
 * Records which execution provider it actually runs on.
 */
public final class DecoderSession implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DecoderSession.class.getName());

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final ModelCard card;
    private final Path directory;
    private final String providerUsed;
    private final String providerNote;
    private final int[] kvHeads;
    private final double loadSeconds;
    private final Path expandedCopy;     // temporary expansion of compressed weights, removed on close; or null
    private final int threads;
    private boolean closed;

    private DecoderSession(OrtEnvironment environment, OrtSession session, ModelCard card, Path directory,
            String providerUsed, String providerNote, int[] kvHeads, double loadSeconds, Path expandedCopy,
            int threads) {
        this.environment = environment;
        this.session = session;
        this.card = card;
        this.directory = directory;
        this.providerUsed = providerUsed;
        this.providerNote = providerNote;
        this.kvHeads = kvHeads;
        this.loadSeconds = loadSeconds;
        this.expandedCopy = expandedCopy;
        this.threads = threads;
    }

    /** ONNX Runtime intra-op threads this session runs with (the request's, or what auto chose). */
    public int threads() {
        return threads;
    }

    public static DecoderSession open(Path directory, RuntimeOptions options) {
        long start = System.nanoTime();
        Path modelFile = directory.resolve(DecoderIo.MODEL_FILE);
        if (!Files.isRegularFile(modelFile)) {
            throw new IllegalArgumentException(modelFile + " does not exist: is " + directory
                    + " a directory written by './lab export' or './lab prune'?");
        }
        ModelCard card = ModelCard.read(directory);
        Path loadFrom = modelFile;
        Path expanded = null;
        if (ModelCard.STORAGE_EXTERNAL_SPARSE.equals(card.weightStorage())) {
            // ONNX Runtime reads only plain external data: expand next to a copy of the graph, load, delete on close
            try {
                expanded = Files.createTempDirectory("prunelab-expanded-");
                CompressedWeights.expand(directory, expanded);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot expand " + directory.resolve(DecoderIo.COMPRESSED_DATA_FILE)
                        + ": " + e.getMessage(), e);
            }
            loadFrom = expanded.resolve(DecoderIo.MODEL_FILE);
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        String providerUsed = "cpu";
        String note = null;
        int threads;
        try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // 0 = one thread per core idle now (ThreadPolicy): on a machine whose other cores are busy, a pool
            // sized to every core waits on the descheduled part of each operator
            threads = ThreadPolicy.resolve(options.intraOpThreads());
            sessionOptions.setIntraOpNumThreads(threads);
            sessionOptions.setInterOpNumThreads(1); // sequential execution: an inter-op pool would only idle
            if (!options.spinning()) {
                // ONNX Runtime's pool threads spin between ops by default: on a machine whose other cores are busy
                // that spinning steals the cores the work needs, and it burns CPU time the energy figures count.
                sessionOptions.addConfigEntry(ThreadPolicy.ORT_INTRA_SPINNING, "0");
                sessionOptions.addConfigEntry(ThreadPolicy.ORT_INTER_SPINNING, "0");
            }
            if (options.provider() != ExecutionProvider.CPU) {
                try {
                    sessionOptions.addCUDA(0);
                    providerUsed = "cuda";
                } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
                    String reason = "CUDA execution provider unavailable (" + e.getMessage()
                            + "); this build has " + providers();
                    if (options.provider() == ExecutionProvider.CUDA) {
                        throw new InvalidSetting(ExecutionProvider.FIELD, "cuda: " + reason
                                + ". Build with './mvnw -Pcuda' (onnxruntime_gpu) on a machine with CUDA, or ask for cpu "
                                + "or auto");
                    }
                    note = reason + "; fell back to CPU";
                    LOG.warning(note);
                }
            }
            // Load by path so ONNX Runtime resolves model.onnx.data next to the graph.
            OrtSession session = environment.createSession(loadFrom.toString(), sessionOptions);
            int[] kvHeads = new int[card.numLayers()];
            for (int layer = 0; layer < kvHeads.length; layer++) {
                long[] shape = ((ai.onnxruntime.TensorInfo) session.getInputInfo().get(DecoderIo.pastKey(layer))
                        .getInfo()).getShape();
                kvHeads[layer] = (int) shape[1];
            }
            return new DecoderSession(environment, session, card, directory, providerUsed, note, kvHeads,
                    (System.nanoTime() - start) / 1e9, expanded, threads);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load " + modelFile + ": " + e.getMessage(), e);
        }
    }

    private static String providers() {
        try {
            return ai.onnxruntime.OrtEnvironment.getAvailableProviders().toString();
        } catch (RuntimeException e) {
            return "unknown providers";
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

    /** Why a preferred provider was not used, or null. */
    public String providerNote() {
        return providerNote;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    /** An empty cache for a batch: past tensors with zero positions. */
    public KvCache emptyCache(int batch) {
        int layers = card.numLayers();
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        try {
            for (int layer = 0; layer < layers; layer++) {
                long[] shape = {batch, kvHeads[layer], 0, card.headDim()};
                keys[layer] = OnnxTensor.createTensor(environment, FloatBuffer.allocate(0), shape);
                values[layer] = OnnxTensor.createTensor(environment, FloatBuffer.allocate(0), shape);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot create an empty KV cache", e);
        }
        return new KvCache(keys, values, 0, () -> {
            for (int layer = 0; layer < layers; layer++) {
                keys[layer].close();
                values[layer].close();
            }
        });
    }

    /**
     * One forward pass. {@code inputIds} and {@code positionIds} are [batch, sequence] flattened;
     * {@code attentionMask} is [batch, past + sequence] flattened. The given past cache stays owned by the
     * caller; the returned step owns the new logits and the present cache.
     */
    public Step forward(long[] inputIds, long[] attentionMask, long[] positionIds, int batch, KvCache past) {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
        int sequence = inputIds.length / batch;
        int total = past.length() + sequence;
        if (attentionMask.length != (long) batch * total || positionIds.length != inputIds.length) {
            throw new IllegalArgumentException("attention mask must be [batch, past + sequence] = [" + batch + ", "
                    + total + "], position ids [batch, sequence]");
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor ids = OnnxTensor.createTensor(environment, LongBuffer.wrap(inputIds), new long[] {batch, sequence});
             OnnxTensor mask = OnnxTensor.createTensor(environment, LongBuffer.wrap(attentionMask),
                     new long[] {batch, total});
             OnnxTensor positions = OnnxTensor.createTensor(environment, LongBuffer.wrap(positionIds),
                     new long[] {batch, sequence})) {
            inputs.put(DecoderIo.INPUT_IDS, ids);
            inputs.put(DecoderIo.ATTENTION_MASK, mask);
            inputs.put(DecoderIo.POSITION_IDS, positions);
            for (int layer = 0; layer < card.numLayers(); layer++) {
                inputs.put(DecoderIo.pastKey(layer), past.key(layer));
                inputs.put(DecoderIo.pastValue(layer), past.value(layer));
            }
            OrtSession.Result result = session.run(inputs);
            OnnxValue logits = result.get(DecoderIo.LOGITS).orElseThrow();
            FloatBuffer logitsBuffer = ((OnnxTensor) logits).getFloatBuffer();
            return new Step(logitsBuffer, batch, sequence, card.vocabSize(),
                    KvCache.fromResult(result, card.numLayers(), total));
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed running " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Logits [batch, sequence, vocab] (a copy owned by the step) and the cache after it.
     */
    public record Step(FloatBuffer logits, int batch, int sequence, int vocab, KvCache cache) implements AutoCloseable {
        /** Logits of one position as a new array. */
        public float[] logitsAt(int row, int position) {
            float[] out = new float[vocab];
            logits.get(((row * sequence) + position) * vocab, out);
            return out;
        }

        @Override
        public void close() {
            cache.close();
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
            deleteExpandedCopy();
        }
    }

    private void deleteExpandedCopy() {
        if (expandedCopy == null) {
            return;
        }
        try (var files = Files.list(expandedCopy)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(expandedCopy);
        } catch (java.io.IOException e) {
            LOG.warning("cannot remove the expanded weights in " + expandedCopy + ": " + e.getMessage());
        }
    }
}
