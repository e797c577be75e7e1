package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.graph.InitializerStore.HeldTensor;
import java.util.Map;

/**
 * A serialised calibration graph and, beside it, the weights it declares as external data, each in a direct
 * buffer (little-endian, the tensor's ONNX type) that ONNX Runtime copies when the session is created
 * ({@link GraphSession}); the graph itself carries only the small tensors.
 *
 * @param model   the ModelProto bytes
 * @param weights initializer name to its bytes; released by the session that takes them
 */
public record CalibrationGraph(byte[] model, Map<String, HeldTensor> weights) {

    /** Bytes of the weights held in direct buffers. */
    public long weightBytes() {
        long bytes = 0;
        for (HeldTensor weight : weights.values()) {
            bytes += weight.bytes().capacity();
        }
        return bytes;
    }
}
