package dev.prunelab.vocabulary;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An N:M semi-structured pattern ({@code "2:4"}): at most N non-zero weights in every group of M consecutive inputs,
 * so M − N zeros per group. The one rule (0 < N < M) for the requests, the command line and the engine alike.
 */
public record NmPattern(int n, int m) {

    /** The field that names it in requests. */
    public static final String FIELD = "pattern";

    private static final Pattern TEXT = Pattern.compile("(\\d{1,4}):(\\d{1,4})");

    public NmPattern {
        if (n < 1) {
            throw new InvalidSetting("", n + ":" + m + " keeps N=" + n + " weights per group; N must be at least 1");
        }
        if (n >= m) {
            throw new InvalidSetting("", n + ":" + m + " has N >= M; N must be below M (2:4 keeps 2 of every 4)");
        }
    }

    /** Parses {@code "N:M"}; a problem is reported against {@code field}. */
    public static NmPattern parse(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidSetting(field, "is missing");
        }
        Matcher matcher = TEXT.matcher(text.trim());
        if (!matcher.matches()) {
            throw new InvalidSetting(field, "'" + text + "' is not an N:M pattern such as 2:4");
        }
        try {
            return new NmPattern(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)));
        } catch (InvalidSetting e) {
            throw new InvalidSetting(field, e.problem());
        }
    }

    /** The sparsity the pattern prunes to: 1 − N/M. */
    public double sparsity() {
        return 1.0 - (double) n / m;
    }

    @Override
    public String toString() {
        return n + ":" + m;
    }
}
