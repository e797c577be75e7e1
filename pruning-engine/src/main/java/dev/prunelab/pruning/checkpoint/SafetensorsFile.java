package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.Arrays;

/**
 * One safetensors file: an 8-byte little-endian header length N, N bytes of JSON describing every tensor
 * (dtype, shape, byte offsets relative to the end of the header), then the raw little-endian data.
 * The whole header is validated when the file is opened, before anything sized by the file is allocated,
 * so a corrupt or hostile file fails with a {@link ModelFormatException} and never an OutOfMemoryError.
 * Tensor data is memory-mapped only when it is read.
 */
public final class SafetensorsFile implements TensorSource {
    /** Headers of real checkpoints are well under 1 MB; 100 MB is the limit the reference implementation uses. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";

    private final Path file;
    private final TensorFile data;
    private final long dataStart;
    private final Map<String, Entry> tensors;
    private final Map<String, String> metadata;

    private record Entry(TensorInfo info, String storedName, long begin) {
    }

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> tensors,
                            Map<String, String> metadata) {
        this.file = file;
        this.data = new TensorFile(file, channel);
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens with {@link CheckpointNames#canonical} naming. */
    public static SafetensorsFile open(Path file) {
        return open(file, CheckpointNames::canonical);
    }

    /**
     * @param naming maps a stored name to the name this source presents, or to empty for a tensor to skip
     *               (its offsets are still checked, its dtype is not: skipped buffers may be bool or int)
     */
    public static SafetensorsFile open(Path file, Function<String, Optional<String>> naming) {
        return TensorFile.open(file, (path, channel) -> parse(path, channel, naming));
    }

    private static SafetensorsFile parse(Path file, FileChannel channel, Function<String, Optional<String>> naming) {
        long fileSize;
        try {
            fileSize = channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read size: " + e.getMessage(), e);
        }
        if (fileSize < 8) {
            throw new ModelFormatException(file, "is " + fileSize + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lengthBytes = readFully(file, channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = lengthBytes.getLong(0); // a u64: negative here means >= 2^63
        // The length is the file's first 8 bytes: the messages say what is wrong with it, never its value, so that
        // pointing the lab at a file that is not a safetensors file does not echo a piece of it.
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw new ModelFormatException(file, "header length is larger than the file's " + fileSize
                    + " bytes (truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "header length is more than the " + MAX_HEADER_BYTES
                    + "-byte limit (not a safetensors file?)");
        }
        if (headerLength < 2) {
            throw new ModelFormatException(file, "header of " + headerLength + " bytes cannot hold a JSON object");
        }
        ByteBuffer headerBytes = readFully(file, channel, 8, (int) headerLength);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(headerBytes.array());
        } catch (IOException e) {
            // where, not what: Jackson's message quotes the offending bytes, and a reason must not echo a file
            throw new ModelFormatException(file, "header is not valid JSON" + Json.where(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, "header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        Map<String, Entry> tensors = new TreeMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String stored = field.getKey();
            JsonNode node = field.getValue();
            if (METADATA_KEY.equals(stored)) {
                metadata = parseMetadata(file, node);
                continue;
            }
            if (stored.isEmpty()) {
                throw new ModelFormatException(file, "header has a tensor with an empty name");
            }
            if (!node.isObject()) {
                throw new ModelFormatException(file, stored, "header entry is not an object");
            }
            long[] offsets = longArray(file, stored, node, "data_offsets");
            if (offsets.length != 2 || offsets[0] > offsets[1]) {
                throw new ModelFormatException(file, stored, "data_offsets must be [begin, end] with begin <= end");
            }
            if (offsets[1] > dataLength) {
                throw new ModelFormatException(file, stored, "data_offsets [" + offsets[0] + ", " + offsets[1]
                        + "] run past the " + dataLength + "-byte data region");
            }
            Optional<String> canonical = naming.apply(stored);
            if (canonical.isEmpty()) {
                continue;
            }
            JsonNode dtypeNode = node.get("dtype");
            if (dtypeNode == null || !dtypeNode.isTextual()) {
                throw new ModelFormatException(file, stored, "header entry has no dtype string");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensorsName(dtypeNode.asText());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file, stored, e.getMessage());
            }
            long[] shape = longArray(file, stored, node, "shape");
            long expectedBytes;
            try {
                long count = 1;
                for (long dimension : shape) {
                    count = Math.multiplyExact(count, dimension);
                }
                expectedBytes = Math.multiplyExact(count, dtype.sizeBytes());
            } catch (ArithmeticException e) {
                throw new ModelFormatException(file, stored, "shape " + Arrays.toString(shape)
                        + " overflows a 64-bit byte count");
            }
            if (offsets[1] - offsets[0] != expectedBytes) {
                throw new ModelFormatException(file, stored, "data_offsets [" + offsets[0] + ", " + offsets[1]
                        + "] span " + (offsets[1] - offsets[0]) + " bytes but " + dtype + " shape "
                        + Arrays.toString(shape) + " needs " + expectedBytes);
            }
            String name = canonical.get();
            Entry previous = tensors.put(name, new Entry(new TensorInfo(name, dtype, shape, file), stored, offsets[0]));
            if (previous != null) {
                throw new ModelFormatException(file, name, "stored twice, as '" + previous.storedName()
                        + "' and '" + stored + "'");
            }
        }
        return new SafetensorsFile(file, channel, dataStart, Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                // The format allows only string values; anything else marks a file written by a broken tool.
                throw new ModelFormatException(file, METADATA_KEY + " value for '" + field.getKey()
                        + "' is not a string");
            }
            metadata.put(field.getKey(), field.getValue().asText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static long[] longArray(Path file, String tensor, JsonNode node, String field) {
        JsonNode array = node.get(field);
        if (array == null || !array.isArray()) {
            throw new ModelFormatException(file, tensor, field + " is missing or not an array");
        }
        if (array.size() > 64) {
            throw new ModelFormatException(file, tensor, field + " has " + array.size() + " entries");
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = array.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
                throw new ModelFormatException(file, tensor, field + " entry " + i + " is " + value
                        + ", not a non-negative 64-bit integer");
            }
            values[i] = value.asLong();
        }
        return values;
    }

    private static ByteBuffer readFully(Path file, FileChannel channel, long position, int length) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try {
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, position + buffer.position());
                if (read < 0) {
                    throw new ModelFormatException(file, "ends inside the header at byte " + (position + buffer.position()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read header: " + e.getMessage(), e);
        }
        return buffer;
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} string map (often {"format": "pt"}); empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The name a tensor has in the file, before normalisation. */
    public String storedName(String name) {
        return entry(name).storedName();
    }

    /** Absolute byte offset of a tensor's first byte in the file. */
    public long dataOffset(String name) {
        return dataStart + entry(name).begin();
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return entry(name).info();
    }

    @Override
    public float[] readFloats(String name) {
        Entry entry = entry(name);
        TensorInfo info = entry.info();
        return data.readFloats(name, dataStart + entry.begin(), info.dtype(), info.elementCount());
    }

    /** Maps and widens only the range's bytes. */
    @Override
    public float[] readRange(String name, long first, int count) {
        Entry entry = entry(name);
        TensorInfo info = entry.info();
        TensorSource.checkRange(name, first, count, info.elementCount());
        return data.readFloats(name, dataStart + entry.begin() + first * info.dtype().sizeBytes(), info.dtype(), count);
    }

    private Entry entry(String name) {
        Entry entry = tensors.get(name);
        if (entry == null) {
            throw new ModelFormatException(file, name, "not in this file");
        }
        return entry;
    }

    @Override
    public void close() {
        data.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }
}
