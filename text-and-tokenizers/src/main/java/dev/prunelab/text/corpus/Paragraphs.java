package dev.prunelab.text.corpus;

import java.util.ArrayList;
import java.util.List;

/** Paragraphs of a text: blocks separated by one or more blank (empty or whitespace-only) lines. */
public final class Paragraphs {
    private Paragraphs() {
    }

    /**
     * The non-empty paragraphs of {@code text} in order. Lines end at "\n" or "\r\n"; a paragraph's lines are joined
     * with "\n", so it has no leading or trailing newline; spaces inside lines are kept as they are.
     */
    public static List<String> split(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to split is null");
        }
        List<String> paragraphs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\r?\n", -1)) {
            if (line.isBlank()) {
                flush(current, paragraphs);
            } else {
                if (current.length() > 0) {
                    current.append('\n');
                }
                current.append(line);
            }
        }
        flush(current, paragraphs);
        return paragraphs;
    }

    private static void flush(StringBuilder current, List<String> paragraphs) {
        if (current.length() > 0) {
            paragraphs.add(current.toString());
            current.setLength(0);
        }
    }
}
