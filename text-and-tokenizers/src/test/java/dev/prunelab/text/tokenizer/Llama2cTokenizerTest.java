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
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cTokenizerTest {
    private static final String TRICKY = "  two  spaces\nnew line é 😀 tab\there\n\n\n   end  ";
    private static Llama2cTokenizer tok512;
    private static Llama2cTokenizer llama32k;

    @BeforeAll
    static void load() {
        tok512 = Llama2cTokenizer.open(SharedData.path("models/stories260K/tok512.bin"));
        llama32k = Llama2cTokenizer.open(SharedData.path("models/llama2-tokenizer-32k/tokenizer.bin"));
    }

    @AfterAll
    static void close() {
        tok512.close();
        llama32k.close();
    }

    @Test
    void vocabularySizesArePieceCounts() {
        assertEquals(512, tok512.vocabSize());
        assertEquals(32000, llama32k.vocabSize());
        assertEquals("llama2c", tok512.kind());
    }

    @Test
    void onceUponATimeMatchesRunC() {
        // The dummy prefix makes every word start with a space; tok512 holds " Once" (403), " upon" (407),
        // " a" (261) and " time" (378), and run.c's greedy merges reach exactly these whole-word pieces.
        assertEquals(" Once", tok512.piece(403));
        assertEquals(" upon", tok512.piece(407));
        assertEquals(" a", tok512.piece(261));
        assertEquals(" time", tok512.piece(378));
        assertArrayEquals(new int[] {403, 407, 261, 378}, tok512.encode("Once upon a time"));
    }

    @Test
    void helloWorldHasTheWellKnownLlama2Ids() {
        assertArrayEquals(new int[] {15043, 3186}, llama32k.encode("Hello world"));
    }

    @Test
    void unknownCharactersFallBackToUtf8BytesPlusThree() {
        // 😀 is F0 9F 98 80 and in neither vocabulary: four byte tokens, id = byte + 3.
        int[] ids = tok512.encode("😀");
        assertArrayEquals(new int[] {410, 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3}, ids);
        assertEquals(" ", tok512.piece(410));
        assertEquals("😀", tok512.decode(ids));
    }

    @Test
    void runsOfSpacesMergeInTheLlamaVocabulary() {
        // Worked out with run.c's algorithm: dummy prefix + two spaces = "   " -> "  " (259) then " two" (1023).
        int[] ids = llama32k.encode("  two");
        assertArrayEquals(new int[] {259, 1023}, ids);
        assertEquals("  two", llama32k.decode(ids));
    }

    @Test
    void emptyTextHasNoTokens() {
        assertEquals(0, tok512.encode("").length);
        assertEquals("", tok512.decode(new int[0]));
    }

    @Test
    void trickyTextRoundTrips() {
        for (Llama2cTokenizer tokenizer : new Llama2cTokenizer[] {tok512, llama32k}) {
            assertEquals(TRICKY, tokenizer.decode(tokenizer.encode(TRICKY)));
            assertEquals(" leading", tokenizer.decode(tokenizer.encode(" leading")));
            assertEquals("<0x41> <s> literal", tokenizer.decode(tokenizer.encode("<0x41> <s> literal")));
        }
    }

    @Test
    void chunkedEncodingEqualsWholeTextEncoding() throws IOException {
        String sample = Files.readString(SharedData.path("text/tinystories/validation.txt")).substring(0, 3000)
                + TRICKY;
        assertArrayEquals(tok512.encodeUnchunked(sample), tok512.encode(sample));
        String wiki = Files.readString(SharedData.path("text/wikitext-2-raw/wiki.test.raw")).substring(0, 3000)
                + TRICKY;
        assertArrayEquals(llama32k.encodeUnchunked(wiki), llama32k.encode(wiki));
    }

    @Test
    void tinyStoriesRoundTripWithTok512() throws IOException {
        for (String file : new String[] {"text/tinystories/validation.txt", "text/tinystories/calibration.txt"}) {
            String text = Files.readString(SharedData.path(file), StandardCharsets.UTF_8);
            int[] ids = tok512.encode(text);
            assertTrue(ids.length > text.length() / 8, file + " encoded to only " + ids.length + " tokens");
            assertEquals(text, tok512.decode(ids), file);
        }
    }

    @Test
    void wikiTextRoundTripsWithLlama32k() throws IOException {
        String text = Files.readString(SharedData.path("text/wikitext-2-raw/wiki.test.raw"));
        assertEquals(text, llama32k.decode(llama32k.encode(text)));
    }

    @Test
    void decodeDropsControlTokensAndTheDummySpaceAfterEachBos() {
        int[] once = tok512.encode("Once");
        int[] upon = tok512.encode("upon");
        int[] ids = new int[once.length + upon.length + 3];
        ids[0] = Llama2cTokenizer.BOS_ID;
        System.arraycopy(once, 0, ids, 1, once.length);
        ids[once.length + 1] = Llama2cTokenizer.BOS_ID;
        System.arraycopy(upon, 0, ids, once.length + 2, upon.length);
        ids[ids.length - 1] = Llama2cTokenizer.EOS_ID;
        assertEquals("Onceupon", tok512.decode(ids));
    }

    @Test
    void decodePieceStripsTheLeadingSpaceOnlyAfterBos() {
        assertEquals("Once", tok512.decodePiece(Llama2cTokenizer.BOS_ID, 403));
        assertEquals(" upon", tok512.decodePiece(403, 407));
        assertEquals("A", tok512.decodePiece(403, 'A' + 3));
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tok512.decode(new int[] {512}));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
    }

    @Test
    void truncatedFileIsRejectedNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(SharedData.path("models/stories260K/tok512.bin"));
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Llama2cTokenizer.open(cut));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        Path tiny = dir.resolve("tiny.bin");
        Files.write(tiny, new byte[] {1, 0});
        e = assertThrows(IllegalArgumentException.class, () -> Llama2cTokenizer.open(tiny));
        assertTrue(e.getMessage().contains(tiny.toString()), e.getMessage());
    }

    @Test
    void closeIsSafeTwice() {
        Llama2cTokenizer tokenizer = Llama2cTokenizer.open(SharedData.path("models/stories260K/tok512.bin"));
        tokenizer.close();
        tokenizer.close();
    }
}
