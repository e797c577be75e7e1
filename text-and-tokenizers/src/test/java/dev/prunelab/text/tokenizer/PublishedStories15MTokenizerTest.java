package dev.prunelab.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.text.corpus.Paragraphs;
import dev.prunelab.text.corpus.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer.bin published with stories15M is an older llama2.c export of the Llama-2 vocabulary whose
 * byte-fallback pieces are raw bytes: it must tokenize exactly like llama2.c's current tokenizer.bin.
 */
class PublishedStories15MTokenizerTest {

    private static final List<String> SHIPPED_TEXTS = List.of("text/tinystories/calibration.txt",
            "text/tinystories/validation.txt", "text/wikitext-2-raw/wiki.test.raw");

    @Test
    void theFileReallyHasRawBytePieces() throws IOException {
        byte[] data = Files.readAllBytes(SharedData.path("models/stories15M/tokenizer.bin"));
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        in.getInt(); // max_token_length
        for (int id = 0; id < 3; id++) {
            in.getFloat();
            int length = in.getInt();
            in.position(in.position() + length);
        }
        in.getFloat();
        assertEquals(1, in.getInt(), "piece 3 is one byte long");
        assertEquals(0, in.get(), "piece 3 is the NUL byte, not <0x00>");
    }

    @Test
    void everyParagraphOfTheShippedTextsGetsTheCurrentVocabularysIds() throws IOException {
        try (Llama2cTokenizer published = Llama2cTokenizer.open(SharedData.path("models/stories15M/tokenizer.bin"));
             Llama2cTokenizer current = Llama2cTokenizer.open(
                     SharedData.path("models/llama2-tokenizer-32k/tokenizer.bin"))) {
            assertEquals(current.vocabSize(), published.vocabSize());
            int paragraphs = 0;
            long tokens = 0;
            for (String file : SHIPPED_TEXTS) {
                List<String> texts = Paragraphs.split(Files.readString(SharedData.path(file), StandardCharsets.UTF_8));
                for (int i = 0; i < texts.size(); i++) {
                    int[] expected = current.encode(texts.get(i));
                    assertArrayEquals(expected, published.encode(texts.get(i)), file + " paragraph " + i);
                    paragraphs++;
                    tokens += expected.length;
                }
            }
            assertTrue(paragraphs > 4000, "only " + paragraphs + " paragraphs compared");
            System.out.printf("stories15M tokenizer.bin = llama2-tokenizer-32k on %d paragraphs, %d tokens%n",
                    paragraphs, tokens);
        }
    }

    @Test
    void aPieceThatAppearsTwiceIsTheByteFallbackAtItsLowIdAndARegularPieceAtItsLaterOne() {
        try (Llama2cTokenizer published = Llama2cTokenizer.open(SharedData.path("models/stories15M/tokenizer.bin"))) {
            assertEquals("<0x41>", published.piece(3 + 0x41));
            assertEquals("A", published.decode(new int[] {3 + 0x41}));
            int regular = -1;
            for (int id = 259; id < published.vocabSize() && regular < 0; id++) {
                if (published.piece(id).equals("A")) {
                    regular = id;
                }
            }
            assertTrue(regular > 258, "the regular piece 'A' is missing");
            // Mid-word, "A" has no merge partner in "\u0001A": the byte fallback of U+0001, then the regular "A".
            int[] ids = published.encodeUnchunked("\u0001A");
            assertEquals(regular, ids[ids.length - 1]);
            assertEquals(3 + 0x01, ids[ids.length - 2]);
        }
    }

    @Test
    void aMalformedBytePieceIsNamedWithoutRawControlBytes(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(8);
        out.writeBytes(header.array());
        for (int id = 0; id < 300; id++) {
            byte[] piece = id == 3 ? new byte[] {1, 27, '[', '2', 'J'}
                    : id < 3 ? ("<" + id + ">").getBytes(StandardCharsets.US_ASCII)
                    : id < 259 ? String.format("<0x%02X>", id - 3).getBytes(StandardCharsets.US_ASCII)
                    : ("p" + id).getBytes(StandardCharsets.US_ASCII);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0).putInt(piece.length).array());
            out.writeBytes(piece);
        }
        Path file = dir.resolve("bad-tokenizer.bin");
        Files.write(file, out.toByteArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Llama2cTokenizer.open(file));
        assertTrue(e.getMessage().contains("piece 3 = '\\x01\\x1B[2J'"), e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20), "raw control bytes in: " + e.getMessage());
    }
}
