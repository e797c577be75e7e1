package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;

/**
 * The present key/value tensors of one forward pass, fed back as the past of the next. It owns the
 * ONNX Runtime result they live in and closes it when the cache is closed or replaced.
 */
public final class KvCache implements AutoCloseable {
    private final OnnxTensor[] keys;     // per layer [batch, kvHeads, length, headDim]
    private final OnnxTensor[] values;
    private final int length;
    private final AutoCloseable owner;   // the OrtSession.Result or the empty tensors themselves

    KvCache(OnnxTensor[] keys, OnnxTensor[] values, int length, AutoCloseable owner) {
        this.keys = keys;
        this.values = values;
        this.length = length;
        this.owner = owner;
    }

    /** Number of cached positions. */
    public int length() {
        return length;
    }

    OnnxTensor key(int layer) {
        return keys[layer];
    }

    OnnxTensor value(int layer) {
        return values[layer];
    }

    static KvCache fromResult(OrtSession.Result result, int layers, int length) {
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        for (int layer = 0; layer < layers; layer++) {
            keys[layer] = (OnnxTensor) result.get(dev.prunelab.modelformat.DecoderIo.presentKey(layer)).orElseThrow();
            values[layer] = (OnnxTensor) result.get(dev.prunelab.modelformat.DecoderIo.presentValue(layer)).orElseThrow();
        }
        return new KvCache(keys, values, length, result);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot release KV cache tensors", e);
        }
    }
}
