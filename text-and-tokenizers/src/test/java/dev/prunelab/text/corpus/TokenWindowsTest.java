package dev.prunelab.text.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.text.tokenizer.Llama2cTokenizer;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenWindowsTest {

    @Test
    void windowsAreNonOverlappingAndDropTheShortTail() {
        int[] stream = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        List<int[]> windows = TokenWindows.windows(stream, 4);
        assertEquals(2, windows.size());
        assertArrayEquals(new int[] {0, 1, 2, 3}, windows.get(0));
        assertArrayEquals(new int[] {4, 5, 6, 7}, windows.get(1));
        assertEquals(5, TokenWindows.windows(stream, 2).size());
    }

    @Test
    void tooShortStreamAndBadWindowAreErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenWindows.windows(new int[3], 4));
        assertTrue(e.getMessage().contains("3 tokens") && e.getMessage().contains("window of 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenWindows.windows(new int[3], 0));
    }

    @Test
    void paragraphStreamPutsBosBeforeEachParagraph() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("models/stories260K/tok512.bin"))) {
            int[] stream = TokenWindows.paragraphStream(tok, "Once upon\n\n\na time\n", Llama2cTokenizer.BOS_ID);
            int[] once = tok.encode("Once upon");
            int[] time = tok.encode("a time");
            int[] expected = new int[once.length + time.length + 2];
            expected[0] = 1;
            System.arraycopy(once, 0, expected, 1, once.length);
            expected[once.length + 1] = 1;
            System.arraycopy(time, 0, expected, once.length + 2, time.length);
            assertArrayEquals(expected, stream);
            // Negative BOS id: the model has none, pieces only.
            assertEquals(once.length + time.length, TokenWindows.paragraphStream(tok, "Once upon\n\na time", -1).length);
        }
    }

    @Test
    void rawWikiTextIsJoinedLikeTheHuggingFaceRows() {
        // Original raw layout: text lines separated by single " " blank lines.
        String raw = " \n = Title = \n \n Body line one . \n Body two . \n";
        // Rows: "", " = Title = \n", "", " Body line one . \n", " Body two . \n"
        String expected = "\n\n = Title = \n\n\n\n\n Body line one . \n\n\n Body two . \n";
        assertEquals(expected, TokenWindows.wikitextJoined(raw));
        // Already joined text (the shipped form) is left as it is, apart from CRLF.
        assertEquals(expected, TokenWindows.wikitextJoined(expected));
        assertEquals(expected, TokenWindows.wikitextJoined(expected.replace("\n", "\r\n")));
    }

    @Test
    void shippedWikiTextIsAlreadyTheJoinedTestSplit() throws IOException {
        String file = Files.readString(SharedData.path("text/wikitext-2-raw/wiki.test.raw"));
        String joined = TokenWindows.wikitextJoined(file);
        assertEquals(file.replace("\r\n", "\n"), joined);
        assertTrue(joined.startsWith("\n\n = Robert Boulter = \n\n\n\n\n Robert Boulter is"), joined.substring(0, 60));
        // 4358 rows in the HF test split: the join has 4357 separators, plus one "\n" per non-empty row (2891).
        assertEquals(2 * 4357 + 2891, joined.chars().filter(c -> c == '\n').count());
    }

    @Test
    void wikitextStreamTokenizesTheJoinedTextOnceWithoutBos() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("tokenizers/gpt2"))) {
            String raw = " \n = Title = \n \n Body . \n";
            assertArrayEquals(tok.encode(TokenWindows.wikitextJoined(raw)), TokenWindows.wikitextStream(tok, raw));
        }
    }
}
