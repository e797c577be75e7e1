package dev.prunelab.evaluation.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/** Direct, native-order buffers that ONNX Runtime tensors wrap without a copy (inputs it reads, outputs it writes). */
final class DirectBuffers {
    private DirectBuffers() {
    }

    static LongBuffer longs(long count) {
        return bytes(Long.BYTES, count).asLongBuffer();
    }

    static FloatBuffer floats(long count) {
        return bytes(Float.BYTES, count).asFloatBuffer();
    }

    private static ByteBuffer bytes(int elementBytes, long count) {
        return ByteBuffer.allocateDirect(Math.toIntExact(Math.multiplyExact(elementBytes, count)))
                .order(ByteOrder.nativeOrder());
    }
}
