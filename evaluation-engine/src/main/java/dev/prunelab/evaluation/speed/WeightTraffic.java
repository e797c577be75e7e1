package dev.prunelab.evaluation.speed;

import dev.prunelab.modelformat.DecoderIo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Bytes of weights one decode step reads, from the exported graph itself: every weight initializer once, at the
 * width the CPU kernels read it:
 * <ul>
 * <li>one behind a Cast or a Slice (a float16 weight, the parts of a large float16 head) in float32: ONNX Runtime
 * folds those into float32 constants at load;</li>
 * <li>one read as stored (float32 weights, MatMulNBits' uint8 blocks and zero points and their float16 scales)
 * at its stored width;</li>
 * <li>a table that only Gather or RotaryEmbedding nodes read (an untied embedding, the rotary cos/sin caches): one
 * row per token.</li>
 * </ul>
 * The graph's protobuf is read with a minimal wire-format walk (ModelProto.graph = 7; GraphProto.node = 1,
 * .initializer = 5; NodeProto.input = 1, .op_type = 4; TensorProto.dims = 1, .data_type = 2, .name = 8), so the
 * evaluation engine needs no ONNX library.
 */
public final class WeightTraffic {
    /** Bytes per element of the weight types (TensorProto.DataType): FLOAT, UINT8, INT8, FLOAT16, DOUBLE, BFLOAT16. */
    private static final Map<Integer, Integer> WEIGHT_TYPE_BYTES = Map.of(1, 4, 2, 1, 3, 1, 10, 2, 11, 8, 16, 2);
    /** Operators that read one row of a [rows, width] table per token: embeddings, rotary cos/sin caches. */
    private static final Set<String> ROW_READERS = Set.of("Gather", "RotaryEmbedding");
    /** Operators on a constant that ONNX Runtime folds at load into a float32 constant the kernels then read. */
    private static final Set<String> FOLDED_TO_FLOAT = Set.of("Cast", "Slice");

    private WeightTraffic() {
    }

    /** Bytes of weights read per decode step of one row of the model in {@code directory}. */
    public static long bytesPerToken(Path directory) {
        try (FileChannel channel = FileChannel.open(directory.resolve(DecoderIo.MODEL_FILE), StandardOpenOption.READ)) {
            ByteBuffer model = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            return bytesPerToken(model);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory.resolve(DecoderIo.MODEL_FILE), e);
        }
    }

    static long bytesPerToken(ByteBuffer model) {
        Map<String, long[]> initializers = new HashMap<>(); // name -> dims of a weight initializer
        Map<String, Integer> elementBytes = new HashMap<>(); // name -> stored bytes per element
        Map<String, Set<String>> readers = new HashMap<>();  // initializer-or-value name -> op types reading it
        Wire m = new Wire(model);
        while (m.more()) {
            int tag = m.tag();
            if (tag >>> 3 == 7 && (tag & 7) == 2) {
                Wire g = m.message();
                while (g.more()) {
                    int gt = g.tag();
                    if (gt >>> 3 == 1 && (gt & 7) == 2) {
                        node(g.message(), readers);
                    } else if (gt >>> 3 == 5 && (gt & 7) == 2) {
                        tensor(g.message(), initializers, elementBytes);
                    } else {
                        g.skip(gt);
                    }
                }
            } else {
                m.skip(tag);
            }
        }
        long bytes = 0;
        for (Map.Entry<String, long[]> e : initializers.entrySet()) {
            long[] dims = e.getValue();
            long elements = 1;
            for (long d : dims) {
                elements *= d;
            }
            Set<String> ops = readers.getOrDefault(e.getKey(), Set.of());
            boolean rowTable = !ops.isEmpty() && ops.stream().allMatch(ROW_READERS::contains);
            boolean folded = ops.stream().anyMatch(FOLDED_TO_FLOAT::contains);
            long width = folded ? Float.BYTES : elementBytes.get(e.getKey());
            bytes += width * (rowTable && dims.length == 2 ? dims[1] : elements);
        }
        return bytes;
    }

    private static void node(Wire n, Map<String, Set<String>> readers) {
        Set<String> inputs = new HashSet<>();
        String op = "";
        while (n.more()) {
            int tag = n.tag();
            if (tag >>> 3 == 1 && (tag & 7) == 2) {
                inputs.add(n.string());
            } else if (tag >>> 3 == 4 && (tag & 7) == 2) {
                op = n.string();
            } else {
                n.skip(tag);
            }
        }
        for (String input : inputs) {
            readers.computeIfAbsent(input, k -> new HashSet<>()).add(op);
        }
    }

    private static void tensor(Wire t, Map<String, long[]> initializers, Map<String, Integer> elementBytes) {
        long[] dims = new long[8];
        int rank = 0;
        int type = 0;
        String name = null;
        while (t.more()) {
            int tag = t.tag();
            int field = tag >>> 3;
            if (field == 1 && (tag & 7) == 0) {
                dims = grow(dims, rank);
                dims[rank++] = t.varint();
            } else if (field == 1 && (tag & 7) == 2) {
                Wire packed = t.message();
                while (packed.more()) {
                    dims = grow(dims, rank);
                    dims[rank++] = packed.varint();
                }
            } else if (field == 2 && (tag & 7) == 0) {
                type = (int) t.varint();
            } else if (field == 8 && (tag & 7) == 2) {
                name = t.string();
            } else {
                t.skip(tag);
            }
        }
        if (name != null && WEIGHT_TYPE_BYTES.containsKey(type)) {
            initializers.put(name, Arrays.copyOf(dims, rank));
            elementBytes.put(name, WEIGHT_TYPE_BYTES.get(type));
        }
    }

    private static long[] grow(long[] dims, int rank) {
        return rank < dims.length ? dims : Arrays.copyOf(dims, dims.length * 2);
    }

    /** A protobuf message: a window [position, limit) of the buffer. */
    private static final class Wire {
        private final ByteBuffer buffer;
        private int position;
        private final int limit;

        Wire(ByteBuffer buffer) {
            this(buffer, 0, buffer.limit());
        }

        private Wire(ByteBuffer buffer, int position, int limit) {
            this.buffer = buffer;
            this.position = position;
            this.limit = limit;
        }

        boolean more() {
            return position < limit;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = buffer.get(position++);
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("malformed varint in model.onnx at byte " + position);
        }

        Wire message() {
            int length = Math.toIntExact(varint());
            Wire inner = new Wire(buffer, position, position + length);
            position += length;
            return inner;
        }

        String string() {
            int length = Math.toIntExact(varint());
            byte[] bytes = new byte[length];
            buffer.get(position, bytes);
            position += length;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> position += 8;
                case 2 -> {
                    int length = Math.toIntExact(varint()); // read before adding: varint() moves position
                    position += length;
                }
                case 5 -> position += 4;
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + (tag & 7)
                        + " in model.onnx at byte " + position);
            }
        }
    }
}
