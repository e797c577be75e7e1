package dev.prunelab.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.text.corpus.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2BpeTokenizerTest {
    private static Gpt2BpeTokenizer gpt2;

    @BeforeAll
    static void load() {
        gpt2 = Gpt2BpeTokenizer.open(SharedData.path("tokenizers/gpt2"));
    }

    @AfterAll
    static void close() {
        gpt2.close();
    }

    @Test
    void knownIds() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals("gpt2-bpe", gpt2.kind());
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        assertArrayEquals(new int[] {262}, gpt2.encode(" the"));
        assertEquals("<|endoftext|>", gpt2.token(Gpt2BpeTokenizer.END_OF_TEXT_ID));
        assertEquals("<|endoftext|>", gpt2.decode(new int[] {Gpt2BpeTokenizer.END_OF_TEXT_ID}));
    }

    @Test
    void preTokenizerSplitsLikeGpt2() {
        List<String> parts = new ArrayList<>();
        var matcher = Gpt2BpeTokenizer.PRE_TOKENIZER.matcher("I'll say  hi, 42x!\n\n ok");
        while (matcher.find()) {
            parts.add(matcher.group());
        }
        // "\s+(?!\S)" leaves the last space of a run to start the next word.
        assertEquals(List.of("I", "'ll", " say", " ", " hi", ",", " 42", "x", "!", "\n\n", " ok"), parts);
    }

    @Test
    void unicodeAndWhitespaceRoundTrip() {
        String text = "  Café 😀\t\ttabs\r\nCRLF  \u00a0nbsp 東京 ";
        assertEquals(text, gpt2.decode(gpt2.encode(text)));
        assertEquals(0, gpt2.encode("").length);
    }

    @Test
    void shippedTextsRoundTrip() throws IOException {
        for (String file : new String[] {"text/wikitext-2-raw/wiki.test.raw", "text/tinystories/validation.txt",
                "text/tinystories/calibration.txt"}) {
            String text = Files.readString(SharedData.path(file), StandardCharsets.UTF_8);
            int[] ids = gpt2.encode(text);
            assertTrue(ids.length > text.length() / 8, file + " encoded to only " + ids.length + " tokens");
            assertEquals(text, gpt2.decode(ids), file);
        }
    }

    @Test
    void versionHeaderInMergesIsTolerated(@TempDir Path dir) throws IOException {
        Path source = SharedData.path("tokenizers/gpt2");
        Files.copy(source.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n"
                + Files.readString(source.resolve("merges.txt"), StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        try (Gpt2BpeTokenizer withHeader = Gpt2BpeTokenizer.open(dir)) {
            String text = "Hello world, the quick brown fox.";
            assertArrayEquals(gpt2.encode(text), withHeader.encode(text));
        }
    }

    @Test
    void malformedMergeLineIsRejectedNamingFileAndLine(@TempDir Path dir) throws IOException {
        Files.copy(SharedData.path("tokenizers/gpt2/vocab.json"), dir.resolve("vocab.json"));
        Files.writeString(dir.resolve("merges.txt"), "Ġ t\nthree parts here\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gpt2BpeTokenizer.open(dir));
        assertTrue(e.getMessage().contains("merges.txt") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {50257}));
        assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {-1}));
    }
}
