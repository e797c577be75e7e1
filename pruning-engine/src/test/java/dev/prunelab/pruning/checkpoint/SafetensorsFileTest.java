package dev.prunelab.pruning.checkpoint;

import static dev.prunelab.pruning.checkpoint.SafetensorsTestFiles.f32;
import static dev.prunelab.pruning.checkpoint.SafetensorsTestFiles.raw;
import static dev.prunelab.pruning.checkpoint.SafetensorsTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    private ModelFormatException openFails(byte[] bytes) throws IOException {
        Path file = write(dir.resolve("bad.safetensors"), bytes);
        return assertThrows(ModelFormatException.class, () -> {
            try (SafetensorsFile opened = SafetensorsFile.open(file)) {
                for (String name : opened.names()) {
                    opened.readFloats(name);
                }
            }
        });
    }

    @Test
    void writerAndReaderRoundTripEveryDtypeExactly() throws IOException {
        // Values exactly representable in the narrow types come back bit for bit.
        float[] f16Values = {1f, -2.5f, 0x1p-24f, 65504f, -0f, 0.099975586f};
        float[] bf16Values = {1f, -0x1.8p127f, 0x1p-126f, 0.1000976562f, 7f, 0x1.fep127f};
        float[] f32Values = {0.1f, -1e-30f, 3.4e38f, 1f / 3f};
        Path file = dir.resolve("model.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("a.f16", DType.F16, new long[] {2, 3}),
                new SafetensorsWriter.Entry("b.bf16", DType.BF16, new long[] {6}),
                new SafetensorsWriter.Entry("c.f32", DType.F32, new long[] {2, 1, 2}),
                new SafetensorsWriter.Entry("d.empty", DType.F32, new long[] {0, 4}));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            writer.write("a.f16", f16Values);
            writer.write("b.bf16", bf16Values);
            writer.write("c.f32", f32Values);
            writer.write("d.empty", new float[0]);
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data starts 8-byte aligned");
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), opened.metadata());
            assertEquals(Set.of("a.f16", "b.bf16", "c.f32", "d.empty"), opened.names());
            TensorInfo info = opened.info("a.f16");
            assertEquals(DType.F16, info.dtype());
            assertArrayEquals(new long[] {2, 3}, info.shape());
            assertArrayEquals(f16Values, opened.readFloats("a.f16", 2, 3));
            assertArrayEquals(bf16Values, opened.readFloats("b.bf16"));
            assertArrayEquals(f32Values, opened.readFloats("c.f32"));
            assertEquals(0, opened.readFloats("d.empty").length);
            ModelFormatException wrongShape = assertThrows(ModelFormatException.class,
                    () -> opened.readFloats("c.f32", 4));
            assertTrue(wrongShape.getMessage().contains("[2, 1, 2]"), wrongShape.getMessage());
            // a range maps only its own bytes and widens them as the whole read does, in every dtype
            assertArrayEquals(new float[] {-2.5f, 0x1p-24f, 65504f}, opened.readRange("a.f16", 1, 3));
            assertArrayEquals(new float[] {0.1000976562f, 7f}, opened.readRange("b.bf16", 3, 2));
            assertArrayEquals(new float[] {1f / 3f}, opened.readRange("c.f32", 3, 1));
            assertEquals(0, opened.readRange("c.f32", 4, 0).length);
            assertThrows(IndexOutOfBoundsException.class, () -> opened.readRange("c.f32", 3, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> opened.readRange("b.bf16", -1, 1));
        }
    }

    @Test
    void writerRoundsToNearestEvenOnNarrowing() throws IOException {
        Path file = dir.resolve("round.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("h", DType.F16, new long[] {2}),
                new SafetensorsWriter.Entry("b", DType.BF16, new long[] {2}));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, Map.of())) {
            writer.write("h", new float[] {1f + 0x1p-11f, 1f + 0x3p-11f});
            writer.write("b", new float[] {1f + 0x1p-8f, 1f + 0x3p-8f});
        }
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertTrue(opened.metadata().isEmpty());
            assertArrayEquals(new float[] {1f, 1f + 0x2p-10f}, opened.readFloats("h"));
            assertArrayEquals(new float[] {1f, 1f + 0x2p-7f}, opened.readFloats("b"));
        }
    }

    @Test
    void writerRefusesOverflowOutOfOrderAndIncompleteFiles() {
        Path file = dir.resolve("w.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("x", DType.F16, new long[] {1}),
                new SafetensorsWriter.Entry("y", DType.F32, new long[] {1}));
        SafetensorsWriter writer = SafetensorsWriter.create(file, entries, Map.of());
        assertThrows(IllegalStateException.class, () -> writer.write("y", new float[] {1}));
        IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                () -> writer.write("x", new float[] {70000f}));
        assertTrue(overflow.getMessage().contains("'x'"), overflow.getMessage());
        IllegalStateException incomplete = assertThrows(IllegalStateException.class, writer::close);
        assertTrue(incomplete.getMessage().contains("'x'"), incomplete.getMessage());
        assertFalse(Files.exists(file), "an incomplete file is never left under the final name");
        assertFalse(Files.exists(dir.resolve("w.safetensors.partial")));
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        byte[] good = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1, 2));
        ModelFormatException error = openFails(Arrays.copyOf(good, good.length - 3));
        assertTrue(error.getMessage().contains("'w'") && error.getMessage().contains("data region"), error.getMessage());
        ModelFormatException header = openFails(Arrays.copyOf(good, 20));
        assertTrue(header.getMessage().contains("header length is larger than the file's 20 bytes"),
                header.getMessage());
        ModelFormatException tiny = openFails(new byte[5]);
        assertTrue(tiny.getMessage().contains("bad.safetensors"), tiny.getMessage());
    }

    @Test
    void offsetsThatDoNotMatchTheShapeAreRefused() throws IOException {
        ModelFormatException error = openFails(raw(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32(1, 2)));
        assertTrue(error.getMessage().contains("tensor 'w'") && error.getMessage().contains("needs 12"),
                error.getMessage());
        ModelFormatException reversed = openFails(raw(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", f32(1, 2)));
        assertTrue(reversed.getMessage().contains("begin <= end"), reversed.getMessage());
    }

    @Test
    void absurdHeaderSizeIsRefusedBeforeAllocating() throws IOException {
        byte[] bytes = raw("{}", new byte[0]);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 62);
        ModelFormatException error = openFails(bytes);
        assertTrue(error.getMessage().contains("header length is larger than the file's 10 bytes"),
                error.getMessage());
        assertFalse(error.getMessage().contains(Long.toString(1L << 62)), "the length field's value is not echoed");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        String negative = openFails(bytes).getMessage();
        assertTrue(negative.contains("header length is larger"), negative);
        assertFalse(negative.contains("18446744073709551615") || negative.contains("-1 "), negative);
    }

    @Test
    void shapeWhoseByteCountOverflowsIsRefused() throws IOException {
        ModelFormatException error = openFails(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                + "\"data_offsets\":[0,8]}}", f32(1, 2)));
        assertTrue(error.getMessage().contains("overflows"), error.getMessage());
    }

    @Test
    void unsupportedDtypeNamesTheTensor() throws IOException {
        ModelFormatException error = openFails(raw(
                "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", f32(1, 2)));
        assertTrue(error.getMessage().contains("tensor 'ids'") && error.getMessage().contains("I64"), error.getMessage());
    }

    @Test
    void malformedJsonIsNamed() throws IOException {
        ModelFormatException error = openFails(raw("{\"w\":{\"dtype\":", new byte[0]));
        assertTrue(error.getMessage().contains("not valid JSON"), error.getMessage());
        ModelFormatException duplicate = openFails(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]));
        assertTrue(duplicate.getMessage().contains("Duplicate"), duplicate.getMessage());
        // the reason says where, never what: no bytes of the file in it
        ModelFormatException text = openFails(raw("{root:x:0:0:root:/root:/bin/bash}", new byte[0]));
        assertTrue(text.getMessage().contains("not valid JSON at line 1, column"), text.getMessage());
        assertFalse(text.getMessage().contains("root"), text.getMessage());
    }

    @Test
    void nanNamesTheTensorAndTheFirstBadIndex() throws IOException {
        Path file = write(dir.resolve("nan.safetensors"), raw(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", f32(1, 2, Float.NaN, Float.NaN)));
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            ModelFormatException error = assertThrows(ModelFormatException.class, () -> opened.readFloats("w"));
            assertTrue(error.getMessage().contains("tensor 'w'") && error.getMessage().contains("flat index 2")
                    && error.getMessage().contains("nan.safetensors"), error.getMessage());
        }
        Path infinite = dir.resolve("inf.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("h", DType.BF16, new long[] {3}));
        try (SafetensorsWriter writer = SafetensorsWriter.create(infinite, entries, Map.of())) {
            writer.write("h", new float[] {0, Float.NEGATIVE_INFINITY, 0});
        }
        try (SafetensorsFile opened = SafetensorsFile.open(infinite)) {
            assertTrue(assertThrows(ModelFormatException.class, () -> opened.readFloats("h"))
                    .getMessage().contains("flat index 1"));
        }
    }

    @Test
    void unprefixedNamesAreCanonicalAndBuffersSkipped() throws IOException {
        String header = "{\"h.0.attn.bias\":{\"dtype\":\"BOOL\",\"shape\":[1,1,2,2],\"data_offsets\":[0,4]},"
                + "\"h.0.attn.masked_bias\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]},"
                + "\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]},"
                + "\"decoder.layers.0.fc1.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}";
        Path file = write(dir.resolve("gpt2.safetensors"), raw(header, f32(0, -1e4f, 0.5f, 0.25f)));
        SafetensorsFile opened = SafetensorsFile.open(file);
        assertEquals(Set.of("transformer.wte.weight", "model.decoder.layers.0.fc1.bias"), opened.names());
        assertEquals("wte.weight", opened.storedName("transformer.wte.weight"));
        assertArrayEquals(new float[] {0.5f}, opened.readFloats("transformer.wte.weight"));
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> opened.info("wte.weight"));
        assertTrue(missing.getMessage().contains("gpt2.safetensors"), missing.getMessage());
        opened.close();
        opened.close();
        assertThrows(IllegalStateException.class, () -> opened.readFloats("transformer.wte.weight"));
    }

    @Test
    void twoStoredNamesForOneCanonicalNameAreRefused() throws IOException {
        ModelFormatException error = openFails(raw("{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)));
        assertTrue(error.getMessage().contains("stored twice"), error.getMessage());
    }

    @Test
    void aWriterReadsBackWhatItHasWrittenBeforeTheFileIsComplete() throws IOException {
        Path file = dir.resolve("spill.safetensors");
        // the first tensor is larger than the writer's 1 MiB buffer and the read-back chunk, so both wrap
        int rows = 700, cols = 500;
        float[] first = new float[rows * cols];
        for (int i = 0; i < first.length; i++) {
            first[i] = i * 0.25f - 7;
        }
        float[] second = {1.5f, -2.5f, 3.25f};
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("layers.0.w", DType.F32, new long[] {rows, cols}),
                new SafetensorsWriter.Entry("layers.0.v", DType.F32, new long[] {3}),
                new SafetensorsWriter.Entry("layers.1.w", DType.F32, new long[] {2}));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            var written = writer.written();
            assertEquals(Set.of(), written.names());
            writer.write("layers.0.w", first);
            writer.write("layers.0.v", second);
            assertEquals(Set.of("layers.0.w", "layers.0.v"), written.names());
            assertFalse(written.contains("layers.1.w"), "not written yet");
            assertArrayEquals(first, written.readFloats("layers.0.w"));
            assertArrayEquals(second, written.readFloats("layers.0.v"));
            assertArrayEquals(Arrays.copyOfRange(first, 23_456, 23_456 + 300_000),
                    written.readRange("layers.0.w", 23_456, 300_000));
            assertEquals(List.of((long) rows, (long) cols),
                    Arrays.stream(written.info("layers.0.w").shape()).boxed().toList());
            ModelFormatException notYet = assertThrows(ModelFormatException.class,
                    () -> written.readFloats("layers.1.w"));
            assertTrue(notYet.getMessage().contains("not written yet"), notYet.getMessage());
            writer.write("layers.1.w", new float[] {4, 5});
        }
        try (SafetensorsFile complete = SafetensorsFile.open(file, java.util.Optional::of)) {
            assertArrayEquals(first, complete.readFloats("layers.0.w"));
            assertArrayEquals(new float[] {4, 5}, complete.readFloats("layers.1.w"));
        }
    }
}
