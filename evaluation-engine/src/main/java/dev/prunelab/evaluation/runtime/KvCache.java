package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.prunelab.modelformat.DecoderIo;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * A batch's key/value cache of fixed capacity, updated in place: each layer's keys and values are one direct
 * buffer [batch, capacity, kvHeads * headDim] that ONNX Runtime reads as the past and writes as the present
 * (the same tensor is bound to both), so a step writes only its new positions. The cache also holds the
 * [batch, capacity] attention mask of its slots and the write index, both inputs of every step.
 * <p>
 * A forward pass advances {@link #length()}; {@link #truncate} rewinds it, so the same buffers serve the next
 * window or the next choice after a shared prefix (slots past the length are masked, whatever they hold).
 */
public final class KvCache implements AutoCloseable {
    private final int batch;
    private final int capacity;
    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    private final LongBuffer mask;          // [batch, capacity], 1 = a written, visible slot
    private final OnnxTensor maskTensor;
    private final LongBuffer writeIndices;  // [batch], every row = length
    private final OnnxTensor writeIndicesTensor;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final Map<String, OnnxTensor> outputs = new HashMap<>();
    private int length;
    private boolean closed;

    KvCache(OrtEnvironment environment, int batch, int capacity, int[] kvWidths) {
        if (batch < 1 || capacity < 1) {
            throw new IllegalArgumentException("a KV cache needs at least one row and one position, got batch "
                    + batch + ", capacity " + capacity);
        }
        this.batch = batch;
        this.capacity = capacity;
        int layers = kvWidths.length;
        keys = new OnnxTensor[layers];
        values = new OnnxTensor[layers];
        mask = DirectBuffers.longs((long) batch * capacity);
        writeIndices = DirectBuffers.longs(batch);
        try {
            maskTensor = OnnxTensor.createTensor(environment, mask, new long[] {batch, capacity});
            writeIndicesTensor = OnnxTensor.createTensor(environment, writeIndices, new long[] {batch});
            for (int layer = 0; layer < layers; layer++) {
                long[] shape = {batch, capacity, kvWidths[layer]};
                long count = (long) batch * capacity * kvWidths[layer];
                keys[layer] = OnnxTensor.createTensor(environment, DirectBuffers.floats(count), shape);
                values[layer] = OnnxTensor.createTensor(environment, DirectBuffers.floats(count), shape);
                inputs.put(DecoderIo.pastKey(layer), keys[layer]);
                inputs.put(DecoderIo.pastValue(layer), values[layer]);
                outputs.put(DecoderIo.presentKey(layer), keys[layer]);
                outputs.put(DecoderIo.presentValue(layer), values[layer]);
            }
        } catch (OrtException e) {
            close();
            throw new IllegalStateException("cannot create a KV cache of " + capacity + " positions: " + e.getMessage(), e);
        }
        inputs.put(DecoderIo.ATTENTION_MASK, maskTensor);
        inputs.put(DecoderIo.CACHE_WRITE_INDICES, writeIndicesTensor);
    }

    /** Number of cached positions. */
    public int length() {
        return length;
    }

    /** Positions the buffers hold. */
    public int capacity() {
        return capacity;
    }

    public int batch() {
        return batch;
    }

    /** Keeps the first {@code positions} positions (0 empties the cache); the buffers are reused as they are. */
    public void truncate(int positions) {
        if (positions < 0 || positions > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + positions);
        }
        length = positions;
    }

    /**
     * Prepares a step of {@code sequence} new positions: the mask rows become {@code visible} [batch, length +
     * sequence] followed by zeros, and the write index the current length.
     */
    void prepare(long[] visible, int sequence) {
        int total = length + sequence;
        for (int b = 0; b < batch; b++) {
            int row = b * capacity;
            for (int t = 0; t < total; t++) {
                mask.put(row + t, visible[b * total + t]);
            }
            for (int t = total; t < capacity; t++) {
                mask.put(row + t, 0L);
            }
            writeIndices.put(b, length);
        }
    }

    /** Prepares a one-token step in which the new slot is visible in every row and the rest stays as it is. */
    void prepareDecode() {
        for (int b = 0; b < batch; b++) {
            mask.put(b * capacity + length, 1L);
            writeIndices.put(b, length);
        }
    }

    void advance(int positions) {
        length += positions;
    }

    /** The graph inputs this cache supplies: every layer's past, the mask and the write index. */
    Map<String, OnnxTensor> inputs() {
        return inputs;
    }

    /** The graph outputs bound to this cache's own buffers: every layer's present. */
    Map<String, OnnxTensor> outputs() {
        return outputs;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (OnnxTensor[] tensors : new OnnxTensor[][] {keys, values}) {
            for (OnnxTensor tensor : tensors) {
                if (tensor != null) {
                    tensor.close();
                }
            }
        }
        if (maskTensor != null) {
            maskTensor.close();
        }
        if (writeIndicesTensor != null) {
            writeIndicesTensor.close();
        }
    }
}
