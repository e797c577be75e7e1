package dev.prunelab.pruning.checkpoint;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Releases a mapping as soon as its tensor is copied out. Java 17 otherwise unmaps only when the buffer is
 * garbage collected, and until then every page read stays in the process's resident set: streaming a model
 * larger than memory would look (and be accounted) as if the whole file were resident.
 * Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported), as Lucene does; without it, mappings are
 * left to the garbage collector.
 */
public final class Unmapper {
    private static final MethodHandle INVOKE_CLEANER = find();

    private Unmapper() {
    }

    private static MethodHandle find() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** The buffer must not be used afterwards. */
    static void unmap(MappedByteBuffer buffer) {
        release(buffer);
    }

    /**
     * Frees a direct buffer's memory now instead of when it is collected (a block's weights handed to ONNX Runtime
     * are 873 MB at 8B). The buffer must not be used afterwards; without {@code invokeCleaner} it is left to the
     * garbage collector.
     */
    public static void release(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
        } catch (Throwable e) {
            // leave the mapping to the garbage collector
        }
    }
}
