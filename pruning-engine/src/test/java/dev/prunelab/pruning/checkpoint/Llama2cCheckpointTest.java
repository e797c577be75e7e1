package dev.prunelab.pruning.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {
    static final Path STORIES = Path.of(System.getenv().getOrDefault("PRUNELAB_DATA", "../../shared/data"))
            .resolve("models/stories260K");
    static final Path LEGACY = STORIES.resolve("stories260K.bin");
    static final Path V1 = STORIES.resolve("stories260K-v1.bin");

    @TempDir
    Path dir;

    @Test
    void legacyHeaderGivesTheStories260KConfig() {
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(LEGACY)) {
            assertEquals(Llama2cCheckpoint.Layout.LEGACY, checkpoint.layout());
            LlamaConfig expected = new LlamaConfig("llama", 512, 64, 172, 5, 8, 4, 8, 512, 1e-5, 10000.0,
                    true, false, false);
            assertEquals(expected, checkpoint.config());
            assertFalse(checkpoint.contains(LlamaNames.LM_HEAD), "shared classifier: no lm_head");
            assertEquals(5 * 9 + 2, checkpoint.names().size());
            assertArrayEquals(new long[] {32, 64}, checkpoint.info(LlamaNames.attention(4, "k_proj.weight")).shape());
            assertArrayEquals(new long[] {64, 172}, checkpoint.info(LlamaNames.mlp(0, "down_proj.weight")).shape());
        }
    }

    @Test
    void legacyAndVersion1FilesHoldIdenticalTensors() {
        try (Llama2cCheckpoint legacy = Llama2cCheckpoint.open(LEGACY); Llama2cCheckpoint v1 = Llama2cCheckpoint.open(V1)) {
            assertEquals(Llama2cCheckpoint.Layout.VERSION_1, v1.layout());
            assertEquals(legacy.config(), v1.config());
            assertEquals(legacy.names(), v1.names());
            for (String name : legacy.names()) {
                assertArrayEquals(legacy.info(name).shape(), v1.info(name).shape(), name);
                assertArrayEquals(legacy.readFloats(name), v1.readFloats(name), name);
            }
            // The layouts differ, so equal values prove each offset table independently.
            assertTrue(legacy.dataOffset(LlamaNames.EMBED) != v1.dataOffset(LlamaNames.EMBED));
        }
    }

    /** q/k rows move from llama2.c's interleaved pairs to Hugging Face's halves; v is untouched. */
    @Test
    void queryAndKeyRowsArePermutedToRotateHalfOrder() throws IOException {
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(LEGACY)) {
            String k = LlamaNames.attention(1, "k_proj.weight");
            float[] raw = rawFloats(LEGACY, checkpoint.dataOffset(k), 32 * 64);
            float[] permuted = checkpoint.readFloats(k);
            int headDim = 8;
            for (int head = 0; head < 4; head++) {
                for (int i = 0; i < headDim / 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        int from = head * headDim + 2 * i + j;
                        int to = head * headDim + j * (headDim / 2) + i;
                        assertArrayEquals(Arrays.copyOfRange(raw, from * 64, from * 64 + 64),
                                Arrays.copyOfRange(permuted, to * 64, to * 64 + 64), "head " + head + " row " + from);
                    }
                }
            }
            assertFalse(Arrays.equals(raw, permuted));
            String v = LlamaNames.attention(1, "v_proj.weight");
            assertArrayEquals(rawFloats(LEGACY, checkpoint.dataOffset(v), 32 * 64), checkpoint.readFloats(v));
        }
    }

    @Test
    void permutationMatchesTheViewTransposeReshapeDefinition() {
        // 2 heads of 4 rows, 1 column: rows [0..7] -> per head [0, 2, 1, 3].
        float[] rows = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, Llama2cCheckpoint.interleavedToHalves(rows, 2, 8, 1));
    }

    static float[] rawFloats(Path file, long offset, int count) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        float[] values = new float[count];
        ByteBuffer.wrap(bytes, (int) offset, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    private ModelFormatException fails(byte[] bytes) throws IOException {
        Path file = dir.resolve("bad.bin");
        Files.write(file, bytes);
        return assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(file).close());
    }

    @Test
    void truncatedAndTrailingFilesSayWhichWithoutTheSizesTheirHeaderClaims() throws IOException {
        byte[] legacy = Files.readAllBytes(LEGACY);
        ModelFormatException truncated = fails(Arrays.copyOf(legacy, legacy.length - 1));
        assertTrue(truncated.getMessage().endsWith("bad.bin: truncated: its " + (legacy.length - 1)
                + " bytes are fewer than the llama2.c layout its header describes"), truncated.getMessage());
        ModelFormatException trailing = fails(Arrays.copyOf(legacy, legacy.length + 4));
        assertTrue(trailing.getMessage().contains("trailing bytes"), trailing.getMessage());
        assertTrue(trailing.getMessage().contains("bad.bin"), trailing.getMessage());
        byte[] v1 = Files.readAllBytes(V1);
        assertTrue(fails(Arrays.copyOf(v1, 200)).getMessage().contains("256-byte"));
        // a version-1 file says what it is (its magic number): its sizes are named
        ModelFormatException v1Truncated = fails(Arrays.copyOf(v1, v1.length - 1));
        assertTrue(v1Truncated.getMessage().contains(v1.length + " bytes but the file has " + (v1.length - 1)),
                v1Truncated.getMessage());
    }

    @Test
    void aFileThatIsNoCheckpointLeaksNothingOfItsBytes() throws IOException {
        // the legacy layout has no magic number: any file's first 28 bytes read as a header
        byte[] passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] legacy = Files.readAllBytes(LEGACY);
        byte[] huge = withInt(withInt(withInt(legacy, 0, 1 << 30), 4, Integer.MAX_VALUE), 8, Integer.MAX_VALUE);
        for (byte[] bytes : List.of(passwd, withInt(legacy, 12, 7), withInt(legacy, 16, 3), withInt(legacy, 8, 0),
                huge)) {
            String message = fails(bytes).getMessage();
            assertTrue(message.endsWith("bad.bin: " + Llama2cCheckpoint.NOT_A_CHECKPOINT), message);
            String rest = message.replace(dir.toString(), "").replace(Llama2cCheckpoint.NOT_A_CHECKPOINT, "");
            assertFalse(rest.matches(".*\\d.*"), "no number from the file: " + message);
        }
    }

    @Test
    void invalidHeadersAreRefused() throws IOException {
        byte[] legacy = Files.readAllBytes(LEGACY);
        assertTrue(fails(withInt(legacy, 4, Integer.MAX_VALUE)).getMessage().contains("truncated"));
        byte[] v1 = Files.readAllBytes(V1);
        // version-1 parameters start at byte 8: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, seq_len
        assertTrue(fails(withInt(v1, 20, 7)).getMessage().contains("not a multiple of n_heads"));
        assertTrue(fails(withInt(v1, 24, 3)).getMessage().contains("not a multiple of n_kv_heads"));
        assertTrue(fails(withInt(v1, 16, 0)).getMessage().contains("n_layers is 0"));
        byte[] hugeV1 = withInt(withInt(withInt(v1, 8, 1 << 30), 12, Integer.MAX_VALUE), 16, Integer.MAX_VALUE);
        assertTrue(fails(hugeV1).getMessage().contains("2^63"));
        assertTrue(fails(withInt(v1, 4, 2)).getMessage().contains("version 2"));
        byte[] flag = v1.clone();
        flag[36] = 5;
        assertTrue(fails(flag).getMessage().contains("shared_classifier"));
    }

    static byte[] withInt(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    @Test
    void negativeVocabularyMeansAnUnsharedClassifierFollows() throws IOException {
        byte[] legacy = Files.readAllBytes(LEGACY);
        byte[] unshared = Arrays.copyOf(withInt(legacy, 20, -512), legacy.length + 512 * 64 * 4);
        ByteBuffer.wrap(unshared).order(ByteOrder.LITTLE_ENDIAN).putFloat(legacy.length, 0.75f);
        Path file = dir.resolve("unshared.bin");
        Files.write(file, unshared);
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(file)) {
            assertFalse(checkpoint.config().tieWordEmbeddings());
            assertEquals(512, checkpoint.config().vocabSize());
            assertEquals(0.75f, checkpoint.readFloats(LlamaNames.LM_HEAD, 512, 64)[0]);
        }
    }
}
