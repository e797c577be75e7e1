package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Streams a safetensors file: the header (every tensor's name, dtype, shape and offsets) is written first from
 * the declared entries, then the data tensor by tensor in that order, each produced in bounded chunks, so a
 * 7B checkpoint never has to sit in memory. Values arrive as float32 and are rounded to nearest even when
 * the entry's dtype is F16 or BF16.
 * The file is written under a ".partial" name and moved into place only when every tensor was written, so
 * an interrupted write never leaves a file that looks complete.
 */
public final class SafetensorsWriter implements AutoCloseable {
    /** The metadata PyTorch's safetensors writer stores; some readers look for it. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    /** Elements handed to a {@link FloatFiller} per call. */
    public static final int FILL_CHUNK = 1 << 16;

    /** One declared tensor. */
    public record Entry(String name, DType dtype, long[] shape) {
        public Entry {
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("tensor name '" + name + "' is not allowed");
            }
            if (dtype == null) {
                throw new IllegalArgumentException("tensor '" + name + "' has no dtype");
            }
            shape = shape.clone();
            for (long dimension : shape) {
                if (dimension < 0) {
                    throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension "
                            + Arrays.toString(shape));
                }
            }
            sizeBytes(dtype, shape); // overflow check
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            return TensorInfo.elementCount(shape);
        }

        public long sizeBytes() {
            return sizeBytes(dtype, shape);
        }

        private static long sizeBytes(DType dtype, long[] shape) {
            long count = dtype.sizeBytes();
            for (long dimension : shape) {
                count = Math.multiplyExact(count, dimension);
            }
            return count;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Entry entry && name.equals(entry.name) && dtype == entry.dtype
                    && Arrays.equals(shape, entry.shape);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    /** Produces a tensor's values in order: fill buffer[0..length) with elements firstIndex.. of the tensor. */
    @FunctionalInterface
    public interface FloatFiller {
        void fill(long firstIndex, float[] buffer, int length);
    }

    private final Path file;
    private final Path partial;
    private final List<Entry> entries;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final long totalBytes;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final long[] dataOffsets; // of each entry, from the start of the file
    private int next;
    private boolean closed;

    private SafetensorsWriter(Path file, Path partial, List<Entry> entries, FileChannel channel, long dataStart,
            long totalBytes) {
        this.file = file;
        this.partial = partial;
        this.entries = entries;
        this.channel = channel;
        this.totalBytes = totalBytes;
        this.dataOffsets = new long[entries.size()];
        long offset = dataStart;
        for (int i = 0; i < entries.size(); i++) {
            indexByName.put(entries.get(i).name(), i);
            dataOffsets[i] = offset;
            offset += entries.get(i).sizeBytes();
        }
    }

    /**
     * Writes the header for {@code entries} (data laid out in this order) and returns a writer expecting
     * their values in the same order.
     *
     * @param metadata the {@code __metadata__} map, empty for none (see {@link #PT_METADATA})
     */
    public static SafetensorsWriter create(Path file, List<Entry> entries, Map<String, String> metadata) {
        List<Entry> copy = List.copyOf(entries);
        byte[] header = header(copy, metadata);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        FileChannel channel;
        try {
            channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(partial + ": cannot create: " + e.getMessage(), e);
        }
        long dataBytes = 0;
        for (Entry entry : copy) {
            dataBytes = Math.addExact(dataBytes, entry.sizeBytes());
        }
        SafetensorsWriter writer = new SafetensorsWriter(file, partial, copy, channel, 8 + header.length,
                8 + header.length + dataBytes);
        writer.buffer.putLong(header.length);
        writer.put(header);
        return writer;
    }

    /**
     * The header bytes: JSON with {@code __metadata__} first and then the entries in the given order, padded
     * with spaces (allowed by the format) so the data starts 8-byte aligned.
     */
    public static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> meta.put(e.getKey(), e.getValue()));
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (Entry entry : entries) {
            if (!seen.add(entry.name())) {
                throw new IllegalArgumentException("tensor '" + entry.name() + "' is declared twice");
            }
            ObjectNode node = root.putObject(entry.name());
            node.put("dtype", entry.dtype().safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (long dimension : entry.shape()) {
                shape.add(dimension);
            }
            long end = Math.addExact(offset, entry.sizeBytes());
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** Size of the finished file in bytes. */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * The float32 tensors written so far, read back from the file being written: a pruned block's weights for its
     * calibration pass without a second copy of them on the heap. A live view: a tensor is in it once written.
     * Closing it leaves the writer open.
     */
    public TensorSource written() {
        return new Written();
    }

    private final class Written implements TensorSource {
        @Override
        public Set<String> names() {
            Set<String> names = new TreeSet<>();
            for (int i = 0; i < next; i++) {
                names.add(entries.get(i).name());
            }
            return Collections.unmodifiableSet(names);
        }

        @Override
        public boolean contains(String name) {
            Integer index = indexByName.get(name);
            return index != null && index < next && entries.get(index).dtype() == DType.F32;
        }

        @Override
        public TensorInfo info(String name) {
            if (!contains(name)) {
                throw new ModelFormatException(partial, name, "not written yet");
            }
            return new TensorInfo(name, DType.F32, entries.get(indexByName.get(name)).shape(), partial);
        }

        @Override
        public float[] readFloats(String name) {
            TensorInfo info = info(name);
            return readRange(name, 0, Math.toIntExact(info.elementCount()));
        }

        @Override
        public float[] readRange(String name, long first, int count) {
            TensorSource.checkRange(name, first, count, info(name).elementCount());
            if (closed) {
                throw new IllegalStateException(file + ": writer is closed");
            }
            flush();
            float[] values = new float[count];
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long position = dataOffsets[indexByName.get(name)] + first * Float.BYTES;
            int done = 0;
            try {
                while (done < count) {
                    chunk.clear().limit(Math.min(chunk.capacity(), (count - done) * Float.BYTES));
                    while (chunk.hasRemaining()) {
                        if (channel.read(chunk, position + chunk.position()) < 0) {
                            throw new ModelFormatException(partial, name, "ends before its data");
                        }
                    }
                    chunk.flip();
                    int read = chunk.remaining() / Float.BYTES;
                    chunk.asFloatBuffer().get(values, done, read);
                    done += read;
                    position += (long) read * Float.BYTES;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(partial + ": cannot read back '" + name + "': " + e.getMessage(), e);
            } finally {
                Unmapper.release(chunk);
            }
            return values;
        }

        @Override
        public void close() {
            // the file belongs to the writer
        }
    }

    /** Writes the next tensor whole; {@code name} must be the next declared entry. */
    public void write(String name, float[] values) {
        Entry entry = expect(name);
        if (values.length != entry.elementCount()) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + entry.elementCount()
                    + " elements but " + values.length + " values were given");
        }
        write(name, entry, (first, chunk, length) -> System.arraycopy(values, (int) first, chunk, 0, length));
    }

    /** Writes the next tensor from a filler called with consecutive chunks of at most {@link #FILL_CHUNK}. */
    public void write(String name, FloatFiller filler) {
        write(name, expect(name), filler);
    }

    private void write(String name, Entry entry, FloatFiller filler) {
        long count = entry.elementCount();
        float[] chunk = new float[(int) Math.min(FILL_CHUNK, Math.max(count, 1))];
        for (long first = 0; first < count; first += chunk.length) {
            int length = (int) Math.min(chunk.length, count - first);
            filler.fill(first, chunk, length);
            for (int i = 0; i < length; i++) {
                putValue(entry, first + i, chunk[i]);
            }
        }
        next++;
    }

    private void putValue(Entry entry, long index, float value) {
        if (buffer.remaining() < 4) {
            flush();
        }
        switch (entry.dtype()) {
            case F32 -> buffer.putFloat(value);
            case F16 -> buffer.putShort(checkedNarrow(entry, index, value, HalfFloats.floatToF16(value), true));
            case BF16 -> buffer.putShort(checkedNarrow(entry, index, value, HalfFloats.floatToBf16(value), false));
        }
    }

    /** A finite value that rounds to infinity would silently poison the checkpoint; refuse it instead. */
    private static short checkedNarrow(Entry entry, long index, float value, short narrowed, boolean f16) {
        boolean infinite = f16 ? (narrowed & 0x7fff) == 0x7c00 : (narrowed & 0x7fff) == 0x7f80;
        if (infinite && Float.isFinite(value)) {
            throw new IllegalArgumentException("tensor '" + entry.name() + "': value " + value + " at flat index "
                    + index + " overflows " + entry.dtype());
        }
        return narrowed;
    }

    private Entry expect(String name) {
        if (closed) {
            throw new IllegalStateException(file + ": writer is closed");
        }
        if (next >= entries.size()) {
            throw new IllegalStateException(file + ": all " + entries.size() + " tensors are written; got '" + name + "'");
        }
        Entry entry = entries.get(next);
        if (!entry.name().equals(name)) {
            throw new IllegalStateException(file + ": tensor '" + entry.name() + "' comes next, not '" + name + "'");
        }
        return entry;
    }

    private void put(byte[] bytes) {
        int offset = 0;
        while (offset < bytes.length) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int length = Math.min(buffer.remaining(), bytes.length - offset);
            buffer.put(bytes, offset, length);
            offset += length;
        }
    }

    private void flush() {
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(partial + ": cannot write: " + e.getMessage(), e);
        }
        buffer.clear();
    }

    /**
     * Finishes the file. If every declared tensor was written it is moved to its final name; otherwise the
     * partial file is deleted and an IllegalStateException names the first missing tensor.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean complete = next == entries.size();
        try {
            try {
                if (complete) {
                    flush();
                }
            } finally {
                channel.close();
            }
            if (complete) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot finish: " + e.getMessage(), e);
        }
        if (!complete) {
            throw new IllegalStateException(file + ": closed after " + next + " of " + entries.size()
                    + " tensors; '" + entries.get(next).name() + "' was never written, file discarded");
        }
    }
}
