package dev.prunelab.pruning.calibration;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.modelformat.DecoderIo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory ONNX Runtime session over a calibration graph (embedding or one block), run one calibration
 * window at a time: input [1, W] ids or [1, W, hidden] states, all-ones mask, positions 0..W-1, empty past.
 */
public final class GraphSession implements AutoCloseable {
    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final int cachedLayer;       // -1 for the embedding graph
    private final int kvHeads;
    private final int headDim;

    public GraphSession(byte[] model, int threads, int cachedLayer, int kvHeads, int headDim) {
        this.cachedLayer = cachedLayer;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                options.setIntraOpNumThreads(threads);
            }
            this.session = environment.createSession(model, options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime rejected a calibration graph: " + e.getMessage(), e);
        }
    }

    /** Runs the embedding graph on one window of token ids. */
    public Map<String, float[]> runTokens(int[] tokens, Set<String> outputs) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
        }
        try (OnnxTensor input = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), new long[] {1, ids.length})) {
            return run(DecoderIo.INPUT_IDS, input, tokens.length, outputs);
        } catch (OrtException e) {
            throw new IllegalStateException("calibration forward pass failed: " + e.getMessage(), e);
        }
    }

    /** Runs a block graph on one window of hidden states [W, width]. */
    public Map<String, float[]> runHidden(float[] hidden, int window, int width, Set<String> outputs) {
        try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(hidden),
                new long[] {1, window, width})) {
            return run(CalibrationGraphs.HIDDEN_INPUT, input, window, outputs);
        } catch (OrtException e) {
            throw new IllegalStateException("calibration forward pass failed: " + e.getMessage(), e);
        }
    }

    private Map<String, float[]> run(String inputName, OnnxTensor input, int window, Set<String> outputs)
            throws OrtException {
        long[] ones = new long[window];
        long[] positions = new long[window];
        for (int i = 0; i < window; i++) {
            ones[i] = 1;
            positions[i] = i;
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor mask = OnnxTensor.createTensor(environment, LongBuffer.wrap(ones), new long[] {1, window});
             OnnxTensor position = OnnxTensor.createTensor(environment, LongBuffer.wrap(positions),
                     new long[] {1, window});
             OnnxTensor pastKey = OnnxTensor.createTensor(environment, FloatBuffer.allocate(0),
                     new long[] {1, kvHeads, 0, headDim});
             OnnxTensor pastValue = OnnxTensor.createTensor(environment, FloatBuffer.allocate(0),
                     new long[] {1, kvHeads, 0, headDim})) {
            inputs.put(inputName, input);
            inputs.put(DecoderIo.ATTENTION_MASK, mask);
            inputs.put(DecoderIo.POSITION_IDS, position);
            if (cachedLayer >= 0) {
                inputs.put(DecoderIo.pastKey(cachedLayer), pastKey);
                inputs.put(DecoderIo.pastValue(cachedLayer), pastValue);
            }
            try (OrtSession.Result result = session.run(inputs, outputs)) {
                Map<String, float[]> values = new HashMap<>();
                for (String name : outputs) {
                    FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
                    float[] array = new float[buffer.remaining()];
                    buffer.get(array);
                    values.put(name, array);
                }
                return values;
            }
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close calibration session", e);
        }
    }
}
