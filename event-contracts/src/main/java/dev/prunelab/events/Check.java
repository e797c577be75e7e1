package dev.prunelab.events;

import dev.prunelab.vocabulary.InvalidSetting;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/** The field checks shared by the event records; each names the field and the problem. */
final class Check {

    /** Run and sweep ids are Kafka keys and artifact directory names: no separators, no leading dot. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private Check() {
    }

    static String text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidSetting(field, "is missing");
        }
        return value;
    }

    static <T> T present(String field, T value) {
        if (value == null) {
            throw new InvalidSetting(field, "is missing");
        }
        return value;
    }

    static String id(String field, String value, int maxLength) {
        text(field, value);
        if (value.length() > maxLength || !ID.matcher(value).matches()) {
            throw new InvalidSetting(field, "'" + shortened(value) + "' must be 1 to " + maxLength
                    + " characters of A-Z a-z 0-9 . _ - and start with a letter or digit");
        }
        return value;
    }

    /** A value as a refusal quotes it: at most 40 characters and the length, since an input may be huge. */
    static String shortened(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "... (" + value.length() + " characters)";
    }

    /** The fields every {@link RunEvent} has: its run id (the Kafka key) and when it occurred. */
    static void runEvent(String runId, Instant occurredAt) {
        id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        instant("occurredAt", occurredAt);
    }

    static Instant instant(String field, Instant value) {
        return present(field, value);
    }

    /** A closed fraction [0, 1], e.g. progress or achieved sparsity. */
    static double closedFraction(String field, Double value) {
        present(field, value);
        if (!(value >= 0 && value <= 1)) {
            throw new InvalidSetting(field, value + " is outside [0, 1]");
        }
        return value;
    }

    static Integer positiveOrNull(String field, Integer value) {
        if (value != null && value <= 0) {
            throw new InvalidSetting(field, value + " must be positive");
        }
        return value;
    }

    static Double positiveOrNull(String field, Double value) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            throw new InvalidSetting(field, value + " must be a positive finite number");
        }
        return value;
    }

    static Long nonNegativeOrNull(String field, Long value) {
        if (value != null && value < 0) {
            throw new InvalidSetting(field, value + " must not be negative");
        }
        return value;
    }

    static <T> List<T> nonEmpty(String field, List<T> values) {
        if (values == null || values.isEmpty()) {
            throw new InvalidSetting(field, "is missing or empty");
        }
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) {
                throw new InvalidSetting(field + "[" + i + "]", "is null");
            }
        }
        return List.copyOf(values);
    }
}
