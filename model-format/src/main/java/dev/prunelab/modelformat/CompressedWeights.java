package dev.prunelab.modelformat;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Zero-skipping storage of {@code model.onnx.data} for pruned models: the file is read as elements of the
 * weights' size (4 bytes for float32, 2 for float16); every group of 64 elements is stored as a 64-bit mask of
 * its non-zero elements followed by those elements' bytes. A zero weight costs one bit, a kept one a bit more
 * than itself: an unstructured 50% float32 model stores in about 53% of its dense size. Lossless for any bytes.
 * ONNX Runtime reads only plain external data, so the evaluator expands the file before loading.
 *
 * <pre>
 * header: "PLZM" | int32 version 1 | int32 element bytes | int64 expanded length     (little-endian)
 * body:   per group of 64 elements: int64 mask (bit i = element i is non-zero) | the non-zero elements
 * </pre>
 */
public final class CompressedWeights {
    private static final int MAGIC = 0x4d5a4c50;   // "PLZM" read little-endian
    private static final int VERSION = 1;
    private static final int GROUP = 64;

    private CompressedWeights() {
    }

    /** Size of the compressed form of {@code expandedBytes} holding {@code nonZeroElements}. */
    public static long compressedSize(long expandedBytes, int elementBytes, long nonZeroElements) {
        long elements = expandedBytes / elementBytes;
        return 20 + (elements + GROUP - 1) / GROUP * Long.BYTES + nonZeroElements * elementBytes;
    }

    /** Compresses {@code plain} into {@code compressed} and deletes {@code plain}. */
    public static void compress(Path plain, Path compressed, int elementBytes) throws IOException {
        long length = Files.size(plain);
        if (elementBytes <= 0 || length % elementBytes != 0) {
            throw new IllegalArgumentException(plain + ": " + length + " bytes is not a whole number of "
                    + elementBytes + "-byte elements");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 1 << 20);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(compressed), 1 << 20)) {
            ByteBuffer header = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(MAGIC).putInt(VERSION).putInt(elementBytes).putLong(length);
            out.write(header.array());
            byte[] group = new byte[GROUP * elementBytes];
            byte[] maskBytes = new byte[Long.BYTES];
            for (long done = 0; done < length; ) {
                int bytes = (int) Math.min(group.length, length - done);
                new DataInputStream(in).readFully(group, 0, bytes);
                long mask = 0;
                for (int e = 0; e * elementBytes < bytes; e++) {
                    if (!zero(group, e * elementBytes, elementBytes)) {
                        mask |= 1L << e;
                    }
                }
                ByteBuffer.wrap(maskBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, mask);
                out.write(maskBytes);
                for (int e = 0; e * elementBytes < bytes; e++) {
                    if ((mask & (1L << e)) != 0) {
                        out.write(group, e * elementBytes, elementBytes);
                    }
                }
                done += bytes;
            }
        }
        Files.delete(plain);
    }

    private static boolean zero(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Expands an export whose weights are compressed into {@code target} (a fresh directory): the graph and
     * the expanded data file side by side, as ONNX Runtime expects them.
     */
    public static void expand(Path exportDirectory, Path target) throws IOException {
        Files.createDirectories(target);
        Files.copy(exportDirectory.resolve(DecoderIo.MODEL_FILE), target.resolve(DecoderIo.MODEL_FILE),
                StandardCopyOption.REPLACE_EXISTING);
        Path source = exportDirectory.resolve(DecoderIo.COMPRESSED_DATA_FILE);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(source), 1 << 20));
             OutputStream out = new BufferedOutputStream(
                     Files.newOutputStream(target.resolve(DecoderIo.EXTERNAL_DATA_FILE)), 1 << 20)) {
            byte[] headerBytes = new byte[20];
            in.readFully(headerBytes);
            ByteBuffer header = ByteBuffer.wrap(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
            int elementBytes;
            long length;
            if (header.getInt() != MAGIC || header.getInt() != VERSION
                    || (elementBytes = header.getInt()) <= 0 || elementBytes > 8 || (length = header.getLong()) < 0) {
                throw new IOException(source + ": not a compressed weight file of version " + VERSION);
            }
            byte[] group = new byte[GROUP * elementBytes];
            byte[] maskBytes = new byte[Long.BYTES];
            for (long done = 0; done < length; ) {
                int bytes = (int) Math.min(group.length, length - done);
                in.readFully(maskBytes);
                long mask = ByteBuffer.wrap(maskBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
                Arrays.fill(group, (byte) 0);
                for (int e = 0; e * elementBytes < bytes; e++) {
                    if ((mask & (1L << e)) != 0) {
                        in.readFully(group, e * elementBytes, elementBytes);
                    }
                }
                out.write(group, 0, bytes);
                done += bytes;
            }
            if (in.read() != -1) {
                throw new IOException(source + ": trailing bytes after " + length + " expanded bytes");
            }
        } catch (EOFException e) {
            throw new IOException(source + ": truncated", e);
        }
    }
}
