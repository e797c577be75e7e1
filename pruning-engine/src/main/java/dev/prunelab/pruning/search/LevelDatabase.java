package dev.prunelab.pruning.search;

import dev.prunelab.pruning.calibration.CalibrationGraphs;
import dev.prunelab.pruning.calibration.GraphSession;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.memory.WorkingSet;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.vocabulary.InvalidSetting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The layer search's database on disk: every block pruned at every level of the ladder, each a safetensors file of
 * the tensors that differ from the model's (the block's pruned matrices, float32), written as the block is done. The
 * search reads a block at a level back as an ONNX Runtime session over the model's weights with that file's laid
 * over them, and keeps the sessions it opened in a cache of at most {@code cacheBytes} of weights (least recently
 * used first out): a small model's whole database stays open, as it did when the database lived in memory, and a
 * large model's is opened a block at a time.
 *
 * <p>Resuming: a block whose every level is on disk is not pruned again, and the dense hidden states after the last
 * finished block ({@value #HIDDEN_FILE}) let the build go on from the next one. Files are written under a temporary
 * name and moved into place, so an interrupted write never leaves a file that looks complete.
 */
final class LevelDatabase implements AutoCloseable {
    static final String HIDDEN_FILE = "dense-hidden.f32";

    private final Path directory;
    private final DecoderConfig config;
    private final TensorSource weights;
    private final int levels;
    private final int width;
    private final int threads;
    private final long cacheBytes;
    private final Map<Long, Open> open = new LinkedHashMap<>(16, 0.75f, true); // access order: eldest = LRU
    private long openBytes;
    private int sessionsOpened;

    /** An open block at one level: its session and the bytes of its file (what ONNX Runtime holds of it). */
    private record Open(GraphSession session, long bytes) {
    }

    LevelDatabase(Path directory, DecoderConfig config, TensorSource weights, int levels, int width, int threads,
            long cacheBytes) {
        this.directory = directory;
        this.config = config;
        this.weights = weights;
        this.levels = levels;
        this.width = width;
        this.threads = threads;
        this.cacheBytes = cacheBytes;
    }

    /** The file of block {@code layer} at the ladder's {@code index}-th level (0 = the lowest). */
    Path file(int layer, int index) {
        return directory.resolve(String.format(Locale.ROOT, "layer-%03d-level-%02d.safetensors", layer, index));
    }

    /** Whether every level of block {@code layer} is on disk. */
    boolean complete(int layer) {
        for (int index = 0; index < levels; index++) {
            if (!Files.isRegularFile(file(layer, index))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Refuses, before the build, a database the disk beside the output cannot hold: what the blocks still missing
     * need (each level at most the block's linear weights in float32) against the space left.
     */
    void checkDisk(String field) {
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        long needed = 0;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            if (!complete(layer)) {
                for (String module : family.linearInputs(layer).keySet()) {
                    needed += weights.info(module + ".weight").elementCount() * Float.BYTES * levels;
                }
            }
        }
        long free;
        try {
            free = Files.getFileStore(directory).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("layer search: cannot read the free space beside " + directory, e);
        }
        if (needed > free) {
            throw new InvalidSetting(field, "the search's database needs " + WorkingSet.size(needed)
                    + " of disk beside the output (" + levels + " copies of the blocks' linear weights in float32) "
                    + "and " + WorkingSet.size(free) + " is free there");
        }
    }

    /** Bytes of the database's files on disk now. */
    long bytesOnDisk() {
        long bytes = 0;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int index = 0; index < levels; index++) {
                try {
                    bytes += Files.isRegularFile(file(layer, index)) ? Files.size(file(layer, index)) : 0;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return bytes;
    }

    /** How many block sessions the search opened from disk (each open of an evicted block counts again). */
    int sessionsOpened() {
        return sessionsOpened;
    }

    /**
     * Block {@code layer} at level {@code index} as a session, opened from its file unless the cache holds it;
     * opening one evicts the least recently used until the cache is within its bytes (the one returned always
     * stays open until the next call).
     */
    GraphSession session(int layer, int index) {
        long key = (long) layer * levels + index;
        Open cached = open.get(key);
        if (cached != null) {
            return cached.session();
        }
        Path file = file(layer, index);
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("layer search database: cannot read " + file.getFileName(), e);
        }
        evictUntil(cacheBytes - bytes);
        GraphSession session;
        // the names as written: they are the model's own names for its tensors, already canonical
        try (SafetensorsFile pruned = SafetensorsFile.open(file, Optional::of)) {
            session = new GraphSession(CalibrationGraphs.block(config, new OverlayTensors(weights, pruned), layer,
                    width, true), threads);
        }
        sessionsOpened++;
        open.put(key, new Open(session, bytes));
        openBytes += bytes;
        return session;
    }

    private void evictUntil(long allowed) {
        Iterator<Open> eldestFirst = open.values().iterator();
        while (openBytes > Math.max(0, allowed) && eldestFirst.hasNext()) {
            Open eldest = eldestFirst.next();
            eldestFirst.remove();
            openBytes -= eldest.bytes();
            eldest.session().close();
        }
    }

    /** Saves the dense hidden states after block {@code layer} (the inputs of the next block's build). */
    void saveHidden(int layer, List<float[]> hidden) {
        Path partial = directory.resolve(HIDDEN_FILE + ".partial");
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            int length = hidden.isEmpty() ? 0 : hidden.get(0).length;
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(layer).putInt(hidden.size()).putInt(length).flip();
            writeFully(channel, header);
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] states : hidden) {
                for (int from = 0; from < states.length; ) {
                    int count = Math.min(states.length - from, chunk.capacity() / Float.BYTES);
                    chunk.clear();
                    chunk.asFloatBuffer().put(states, from, count);
                    chunk.limit(count * Float.BYTES);
                    writeFully(channel, chunk);
                    from += count;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("layer search database: cannot write " + partial.getFileName(), e);
        }
        move(partial, directory.resolve(HIDDEN_FILE));
    }

    /**
     * The dense hidden states after block {@code layer}, as {@link #saveHidden} wrote them, when the file holds that
     * block's and {@code count} windows of {@code length}; else empty.
     */
    Optional<List<float[]>> loadHidden(int layer, int count, int length) {
        Path file = directory.resolve(HIDDEN_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() != 12 + (long) count * length * Float.BYTES) {
                return Optional.empty();
            }
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, header);
            header.flip();
            if (header.getInt() != layer || header.getInt() != count || header.getInt() != length) {
                return Optional.empty();
            }
            List<float[]> hidden = new ArrayList<>(count);
            ByteBuffer bytes = ByteBuffer.allocateDirect(length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int w = 0; w < count; w++) {
                bytes.clear();
                readFully(channel, bytes);
                bytes.flip();
                float[] states = new float[length];
                bytes.asFloatBuffer().get(states);
                hidden.add(states);
            }
            return Optional.of(hidden);
        } catch (IOException e) {
            throw new UncheckedIOException("layer search database: cannot read " + file.getFileName(), e);
        }
    }

    static void move(Path partial, Path target) {
        try {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("layer search: cannot move " + partial.getFileName() + " into place", e);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("the file ends early");
            }
        }
    }

    /** Closes every open session (the files stay). */
    @Override
    public void close() {
        for (Open session : open.values()) {
            session.session().close();
        }
        open.clear();
        openBytes = 0;
    }
}
