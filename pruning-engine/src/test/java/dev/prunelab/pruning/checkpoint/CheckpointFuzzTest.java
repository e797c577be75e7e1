package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random corruption of valid files: opening and reading every tensor must either succeed or throw a
 * ModelFormatException. Any other exception (or an OutOfMemoryError from trusting a corrupt size) fails.
 */
class CheckpointFuzzTest {
    private static final int MUTATIONS = 2500;

    @TempDir
    Path dir;

    @Test
    void corruptSafetensorsFilesFailOnlyWithModelFormatException() throws IOException {
        Path valid = dir.resolve("valid.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("h.0.attn.c_attn.weight", DType.F32, new long[] {4, 12}),
                new SafetensorsWriter.Entry("wte.weight", DType.F16, new long[] {8, 4}),
                new SafetensorsWriter.Entry("ln_f.bias", DType.BF16, new long[] {4}));
        SplittableRandom values = new SplittableRandom(1);
        try (SafetensorsWriter writer = SafetensorsWriter.create(valid, entries, SafetensorsWriter.PT_METADATA)) {
            for (SafetensorsWriter.Entry entry : entries) {
                writer.write(entry.name(), (first, buffer, length) -> {
                    for (int i = 0; i < length; i++) {
                        buffer[i] = (float) values.nextGaussian();
                    }
                });
            }
        }
        byte[] original = Files.readAllBytes(valid);
        int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int failures = fuzz(original, headerEnd, SafetensorsFile::open, 11);
        assertTrue(failures > MUTATIONS / 4, "most mutations should be detected, only " + failures + " were");
    }

    @Test
    void corruptLlama2cFilesFailOnlyWithModelFormatException() throws IOException {
        // A small legacy header (dim 8, hidden 12, 2 layers, 2 heads, 1 kv head, vocab 16, seq_len 4) keeps
        // thousands of copies cheap; the v1 stories260K header is mutated too, with its real weights behind it.
        int dim = 8, hidden = 12, layers = 2, heads = 2, kvHeads = 1, vocab = 16, seqLen = 4;
        int kvDim = kvHeads * dim / heads;
        long floats = (long) vocab * dim + layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim)
                + dim + 2L * seqLen * (dim / heads / 2);
        ByteBuffer legacy = ByteBuffer.allocate(28 + (int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        legacy.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kvHeads).putInt(vocab).putInt(seqLen);
        SplittableRandom values = new SplittableRandom(2);
        while (legacy.hasRemaining()) {
            legacy.putFloat((float) values.nextGaussian());
        }
        try (Llama2cCheckpoint check = Llama2cCheckpoint.open(Files.write(dir.resolve("small.bin"), legacy.array()))) {
            assertTrue(check.names().size() > 10, "the unmutated file is valid");
        }
        int failures = fuzz(legacy.array(), 28, Llama2cCheckpoint::open, 12);
        assertTrue(failures > MUTATIONS / 4, "most mutations should be detected, only " + failures + " were");
        fuzz(Files.readAllBytes(Llama2cCheckpointTest.V1), 256, Llama2cCheckpoint::open, 13, 150);
    }

    private int fuzz(byte[] original, int headerEnd, Function<Path, TensorSource> open, long seed) throws IOException {
        return fuzz(original, headerEnd, open, seed, MUTATIONS);
    }

    /** Returns how many mutants were refused. */
    private int fuzz(byte[] original, int headerEnd, Function<Path, TensorSource> open, long seed, int count)
            throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        int refused = 0;
        for (int n = 0; n < count; n++) {
            byte[] mutant = mutate(original, headerEnd, random);
            Path file = dir.resolve("mutant-" + n + ".bin");
            Files.write(file, mutant);
            try (TensorSource source = open.apply(file)) {
                for (String name : source.names()) {
                    source.readFloats(name);
                }
            } catch (ModelFormatException expected) {
                refused++;
            } catch (Throwable unexpected) {
                fail("mutation " + n + " (seed " + seed + ") threw " + unexpected, unexpected);
            }
            Files.delete(file);
        }
        return refused;
    }

    private static byte[] mutate(byte[] original, int headerEnd, SplittableRandom random) {
        byte[] bytes = original.clone();
        int kinds = random.nextInt(1, 4);
        for (int k = 0; k < kinds && bytes.length > 0; k++) {
            switch (random.nextInt(7)) {
                case 0 -> { // bit flips, mostly in the header where they matter
                    int at = random.nextInt(Math.min(bytes.length, headerEnd + 16));
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
                case 1 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)); // truncation
                case 2 -> { // the length field / first header word set to a random or extreme value
                    long value = switch (random.nextInt(4)) {
                        case 0 -> random.nextLong();
                        case 1 -> 1L << random.nextInt(63);
                        case 2 -> random.nextInt(headerEnd + 64);
                        default -> -random.nextInt(1, 1000);
                    };
                    if (bytes.length >= 8) {
                        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
                                .putInt(random.nextInt(2) * 4, (int) value);
                        if (random.nextBoolean()) {
                            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
                        }
                    }
                }
                case 3 -> { // random bytes inside the header / JSON
                    int end = Math.min(bytes.length, headerEnd);
                    if (end > 8) {
                        int at = random.nextInt(8, end);
                        bytes[at] = (byte) random.nextInt(256);
                    }
                }
                case 4 -> { // JSON-ish characters, which keep the header parseable more often
                    int end = Math.min(bytes.length, headerEnd);
                    if (end > 8) {
                        byte[] alphabet = "0123456789-[]{}\":,eE.FBI".getBytes();
                        bytes[random.nextInt(8, end)] = alphabet[random.nextInt(alphabet.length)];
                    }
                }
                case 5 -> { // a header int (llama2.c params) replaced by a small or huge number
                    if (headerEnd >= 28 && bytes.length >= headerEnd) {
                        int slot = random.nextInt(Math.min(headerEnd, 64) / 4) * 4;
                        int value = random.nextBoolean() ? random.nextInt(-4, 70) : random.nextInt();
                        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(slot, value);
                    }
                }
                default -> { // trailing garbage, or a NaN/Inf in the data
                    if (random.nextBoolean()) {
                        bytes = Arrays.copyOf(bytes, bytes.length + random.nextInt(1, 64));
                    } else if (bytes.length > headerEnd + 4) {
                        int at = random.nextInt(headerEnd, bytes.length - 3) & ~1;
                        bytes[at + 1] = (byte) 0x7f;
                        bytes[at] = (byte) 0xff;
                    }
                }
            }
        }
        return bytes;
    }

    @Test
    void emptyMetadataAndOddHeadersOfTheWriterStillParse() throws IOException {
        // Sanity check that the fuzz base is representative: the writer's padding is accepted by the reader.
        for (int names = 1; names < 9; names++) {
            Path file = dir.resolve("pad" + names + ".safetensors");
            try (SafetensorsWriter writer = SafetensorsWriter.create(file,
                    List.of(new SafetensorsWriter.Entry("x".repeat(names), DType.F32, new long[] {1})), Map.of())) {
                writer.write("x".repeat(names), new float[] {names});
            }
            try (SafetensorsFile opened = SafetensorsFile.open(file)) {
                assertTrue(opened.readFloats("x".repeat(names))[0] == names);
            }
        }
    }
}
