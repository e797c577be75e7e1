package dev.prunelab.events;

import dev.prunelab.vocabulary.InvalidSetting;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An N:M semi-structured pattern as written in a request ({@code "2:4"}): at most N non-zero weights in every
 * group of M consecutive inputs, so M − N zeros per group.
 */
public record NmPattern(int n, int m) {

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
        Matcher matcher = TEXT.matcher(Check.text(field, text).trim());
        if (!matcher.matches()) {
            throw new InvalidSetting(field, "'" + text + "' is not an N:M pattern such as 2:4");
        }
        try {
            return new NmPattern(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)));
        } catch (InvalidSetting e) {
            throw new InvalidSetting(field, e.problem());
        }
    }

    @Override
    public String toString() {
        return n + ":" + m;
    }
}
