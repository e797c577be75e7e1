package dev.prunelab.text.corpus;

import dev.prunelab.text.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Token streams for perplexity and the fixed-length windows cut from them. */
public final class TokenWindows {
    private TokenWindows() {
    }

    /**
     * The "paragraphs" protocol: every {@link Paragraphs paragraph} encoded as BOS + pieces, all concatenated in
     * order. A negative {@code bosId} means the model has no BOS and the pieces are concatenated alone.
     */
    public static int[] paragraphStream(TextTokenizer tokenizer, String text, int bosId) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("tokenizer is null");
        }
        List<int[]> parts = new ArrayList<>();
        long total = 0;
        for (String paragraph : Paragraphs.split(text)) {
            int[] pieces = tokenizer.encode(paragraph);
            parts.add(pieces);
            total += pieces.length + (bosId >= 0 ? 1 : 0);
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("text has " + total + " tokens, too many for one stream");
        }
        int[] stream = new int[(int) total];
        int at = 0;
        for (int[] pieces : parts) {
            if (bosId >= 0) {
                stream[at++] = bosId;
            }
            System.arraycopy(pieces, 0, stream, at, pieces.length);
            at += pieces.length;
        }
        return stream;
    }

    /**
     * The pruning papers' WikiText-2 protocol (SparseGPT, Wanda): the test split as
     * {@code "\n\n".join(load_dataset('wikitext', 'wikitext-2-raw-v1', split='test')['text'])}, tokenized once,
     * with no BOS added here.
     */
    public static int[] wikitextStream(TextTokenizer tokenizer, String fileText) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("tokenizer is null");
        }
        return tokenizer.encode(wikitextJoined(fileText));
    }

    /**
     * The text the papers tokenize, from either form of the test file.
     *
     * <p>The Hugging Face builder reads the raw file line by line (Python universal newlines, so "\r\n" becomes
     * "\n"), keeps each line with its trailing "\n" as one row, and makes a whitespace-only line an empty row;
     * the papers join the rows with "\n\n". In the original raw file consecutive text lines are separated by exactly
     * one blank line, so joining puts at least two empty lines between them. The shipped
     * {@code wiki.test.raw} is already that joined text (with "\r\n" line ends): every gap between text lines is an
     * even number of empty lines, 2 or more. So text whose gaps are all at least 2 is taken as already joined and
     * only its line ends are normalized; anything else is treated as the raw file and joined.
     */
    public static String wikitextJoined(String fileText) {
        if (fileText == null) {
            throw new IllegalArgumentException("WikiText text is null");
        }
        String text = fileText.replace("\r\n", "\n").replace('\r', '\n');
        List<String> rows = new ArrayList<>();
        int minimumGap = Integer.MAX_VALUE;
        int gap = -1; // empty lines since the last text line; -1 before the first one
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            String row = text.substring(start, end);
            boolean blank = isPythonBlank(row);
            rows.add(blank ? "" : row);
            if (blank) {
                gap = gap < 0 ? -1 : gap + 1;
            } else {
                if (gap >= 0) {
                    minimumGap = Math.min(minimumGap, gap);
                }
                gap = 0;
            }
            start = end;
        }
        if (minimumGap >= 2) {
            return text;
        }
        return String.join("\n\n", rows);
    }

    /** Python's {@code not row.strip()}: empty or only whitespace (including Unicode spaces such as U+00A0). */
    private static boolean isPythonBlank(String row) {
        for (int i = 0; i < row.length(); i++) {
            char c = row.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c)) {
                return false;
            }
        }
        return true;
    }

    /** Non-overlapping windows of {@code window} tokens from the start of {@code stream}; a shorter tail is dropped. */
    public static List<int[]> windows(int[] stream, int window) {
        if (stream == null) {
            throw new IllegalArgumentException("token stream is null");
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1 token, was " + window);
        }
        if (stream.length < window) {
            throw new IllegalArgumentException("token stream has " + stream.length
                    + " tokens, shorter than one window of " + window);
        }
        List<int[]> windows = new ArrayList<>(stream.length / window);
        for (int start = 0; start + window <= stream.length; start += window) {
            windows.add(Arrays.copyOfRange(stream, start, start + window));
        }
        return windows;
    }
}
