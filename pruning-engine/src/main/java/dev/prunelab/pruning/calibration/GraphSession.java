package dev.prunelab.pruning.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.checkpoint.Unmapper;
import dev.prunelab.pruning.graph.InitializerStore.HeldTensor;
import dev.prunelab.pruning.memory.HeapRelease;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory ONNX Runtime session over a calibration graph (embedding or one block): input [B, W] ids or
 * [B, W, hidden] states, all-ones mask, positions 0..W-1 (the graphs carry no KV cache).
 * <p>
 * Batches of windows run without per-call copies on the Java side: the input is a direct buffer ONNX Runtime
 * reads in place, the constant inputs (mask, positions) are made once per batch size, and the
 * outputs are pinned, preallocated direct buffers ONNX Runtime writes into, reused from batch to batch
 * ({@link #runHiddenBatch}). The pool never spins ({@link ThreadPolicy}).
 */
public final class GraphSession implements AutoCloseable {
    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Map<Long, Map<String, OnnxTensor>> constants = new HashMap<>(); // (batch, window) -> inputs
    private final Map<String, Pinned> pinned = new LinkedHashMap<>();               // output name -> buffer
    private FloatBuffer input;                                                      // direct, reused
    private boolean closed;

    /** A preallocated output: its tensor [B, W, width] over a direct buffer ONNX Runtime writes into. */
    private record Pinned(long batch, long window, FloatBuffer buffer, OnnxTensor tensor) {
    }

    /**
     * @param graph   the graph and its weights in direct buffers, which ONNX Runtime copies while the session is
     *                created; they are released here, after it is (or after it failed to be)
     * @param threads ONNX Runtime intra-op threads, already resolved (at least 1)
     */
    public GraphSession(CalibrationGraph graph, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be resolved to at least 1, was " + threads);
        }
        if (graph.weightBytes() >= COLLECT_BEFORE_WEIGHT_BYTES) {
            // Building the graph read every weight onto the heap and transposed it into its direct buffer (1.7 GB of
            // garbage for an 8B block, most of it humongous arrays). G1 would rather grow the heap than collect them,
            // and the pages it touched stay resident while ONNX Runtime copies the block: a full collection here,
            // before the copy, lets the heap shrink and give them back (SparseGPT and Wanda on the 8B shape's blocks:
            // bench/results/scale-notes.md). Small blocks skip it: their garbage is cheaper than the collection.
            HeapRelease.collect();
        }
        Map<String, OnnxTensor> weights = new LinkedHashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1); // sequential execution: the inter-op pool would only idle
            // Spinning pool threads take the cores other work needs and gain nothing between our large ops.
            options.addConfigEntry(ThreadPolicy.ORT_INTRA_SPINNING, "0");
            options.addConfigEntry(ThreadPolicy.ORT_INTER_SPINNING, "0");
            for (Map.Entry<String, HeldTensor> weight : graph.weights().entrySet()) {
                HeldTensor held = weight.getValue();
                weights.put(weight.getKey(), OnnxTensor.createTensor(environment, held.bytes(), held.shape(),
                        held.float16() ? OnnxJavaType.FLOAT16 : OnnxJavaType.FLOAT));
            }
            if (!weights.isEmpty()) {
                options.addExternalInitializers(new LinkedHashMap<String, OnnxTensorLike>(weights));
            }
            this.session = environment.createSession(graph.model(), options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime rejected a calibration graph: " + e.getMessage(), e);
        } finally {
            // ONNX Runtime holds its own copy once the session exists (InMemoryWeightsTest overwrites the buffers)
            for (OnnxTensor tensor : weights.values()) {
                tensor.close();
            }
            for (HeldTensor held : graph.weights().values()) {
                Unmapper.release(held.bytes());
            }
        }
    }

    /** Weights above which a session's creation is preceded by a full collection (see the constructor). */
    static final long COLLECT_BEFORE_WEIGHT_BYTES = 256L << 20;

    /** Runs the embedding graph on one window of token ids. */
    public Map<String, float[]> runTokens(int[] tokens, Set<String> outputs) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
        }
        try (OnnxTensor input = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), new long[] {1, ids.length});
             OrtSession.Result result = session.run(inputs(DecoderIo.INPUT_IDS, input, 1, tokens.length), outputs)) {
            return copies(result, outputs);
        } catch (OrtException e) {
            throw new IllegalStateException("calibration forward pass failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a block graph on {@code batch} windows at once, the hidden states [batch, W, width] of windows
     * {@code from..from+batch-1} of {@code hidden}. Returns each output [batch, W, width_out] as a read-only view
     * of its pinned buffer, valid until the next call; the caller copies what it keeps.
     */
    public Map<String, FloatBuffer> runHiddenBatch(List<float[]> hidden, int from, int batch, int window,
            int width, Set<String> outputs) {
        int values = batch * window * width;
        if (input == null || input.capacity() < values) {
            input = ByteBuffer.allocateDirect(values * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        input.clear();
        for (int i = from; i < from + batch; i++) {
            input.put(hidden.get(i), 0, window * width);
        }
        input.flip();
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, input, new long[] {batch, window, width})) {
            Map<String, OnnxTensor> inputs = inputs(CalibrationGraphs.HIDDEN_INPUT, tensor, batch, window);
            Map<String, OnnxTensor> outputTensors = pinnedFor(outputs, batch, window);
            if (outputTensors == null) {
                // first batch of this shape: the tap widths are symbolic in the graph, so learn them from a plain
                // run and pin buffers of those shapes for every batch after it
                try (OrtSession.Result result = session.run(inputs, outputs)) {
                    for (String name : outputs) {
                        OnnxTensor value = (OnnxTensor) result.get(name).orElseThrow();
                        long[] shape = value.getInfo().getShape();
                        FloatBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(value.getInfo().getNumElements())
                                * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
                        buffer.put(value.getFloatBuffer()).flip();
                        Pinned old = pinned.put(name, new Pinned(batch, window, buffer,
                                OnnxTensor.createTensor(environment, buffer, shape)));
                        if (old != null) {
                            old.tensor().close();
                        }
                    }
                }
            } else {
                session.run(inputs, outputTensors).close(); // the pinned tensors stay ours
            }
        } catch (OrtException e) {
            throw new IllegalStateException("calibration forward pass failed: " + e.getMessage(), e);
        }
        Map<String, FloatBuffer> views = new HashMap<>();
        for (String name : outputs) {
            views.put(name, pinned.get(name).buffer().asReadOnlyBuffer());
        }
        return views;
    }

    /** The pinned outputs for this shape, or null when some are still missing. */
    private Map<String, OnnxTensor> pinnedFor(Set<String> outputs, int batch, int window) {
        Map<String, OnnxTensor> tensors = new HashMap<>();
        for (String name : outputs) {
            Pinned p = pinned.get(name);
            if (p == null || p.batch() != batch || p.window() != window) {
                return null;
            }
            tensors.put(name, p.tensor());
        }
        return tensors;
    }

    /** The graph's inputs around the given first input: mask and positions, made once per shape. */
    private Map<String, OnnxTensor> inputs(String inputName, OnnxTensor input, int batch, int window)
            throws OrtException {
        Map<String, OnnxTensor> fixed = constants.get(((long) batch << 32) | window);
        if (fixed == null) {
            long[] ones = new long[batch * window];
            long[] positions = new long[batch * window];
            for (int i = 0; i < ones.length; i++) {
                ones[i] = 1;
                positions[i] = i % window;
            }
            fixed = new HashMap<>();
            fixed.put(DecoderIo.ATTENTION_MASK, OnnxTensor.createTensor(environment, LongBuffer.wrap(ones),
                    new long[] {batch, window}));
            fixed.put(DecoderIo.POSITION_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(positions),
                    new long[] {batch, window}));
            constants.put(((long) batch << 32) | window, fixed);
        }
        Map<String, OnnxTensor> inputs = new HashMap<>(fixed);
        inputs.put(inputName, input);
        return inputs;
    }

    private static Map<String, float[]> copies(OrtSession.Result result, Set<String> outputs) {
        Map<String, float[]> values = new HashMap<>();
        for (String name : outputs) {
            FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
            float[] array = new float[buffer.remaining()];
            buffer.get(array);
            values.put(name, array);
        }
        return values;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Map<String, OnnxTensor> fixed : constants.values()) {
            fixed.values().forEach(OnnxTensor::close);
        }
        pinned.values().forEach(p -> p.tensor().close());
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close calibration session", e);
        }
    }
}
