package dev.prunelab.text.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParagraphsTest {

    @Test
    void splitsOnBlankAndWhitespaceOnlyLines() {
        String text = "\n\nFirst line\nsecond line\n\n \t \n\nSecond para\n   \nThird  has  spaces \n\n\n";
        assertEquals(List.of("First line\nsecond line", "Second para", "Third  has  spaces "), Paragraphs.split(text));
    }

    @Test
    void crlfLineEndsAreLineEnds() {
        assertEquals(List.of("a\nb", "c"), Paragraphs.split("a\r\nb\r\n\r\nc\r\n"));
    }

    @Test
    void emptyAndBlankTextHaveNoParagraphs() {
        assertEquals(List.of(), Paragraphs.split(""));
        assertEquals(List.of(), Paragraphs.split(" \n\n\t\n"));
        assertEquals(List.of("x"), Paragraphs.split("x"));
    }

    @Test
    void shippedTinyStoriesHaveTheDocumentedParagraphCounts() throws IOException {
        // SOURCES.md says 1075 and 3226. Validation has two whitespace-only " " separator lines (lines 4135 and
        // 4188); counting them as blank, as this splitter must, gives 3227 (splitting on "\n\n" alone gives 3225).
        assertEquals(1075, Paragraphs.split(Files.readString(SharedData.path("text/tinystories/calibration.txt")))
                .size());
        assertEquals(3227, Paragraphs.split(Files.readString(SharedData.path("text/tinystories/validation.txt")))
                .size());
    }
}
