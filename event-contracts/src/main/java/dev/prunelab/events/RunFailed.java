package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * A run failed, or an input could not be processed (topic {@value Topics#RUN_FAILED}, also the dead-letter
 * topic).
 *
 * <p>A dead letter never carries the input it refuses, only a bounded {@link Excerpt} of it and, when it came from
 * Kafka, the record's place ({@link SourceRecord}): the input can be as large as the broker takes, and a dead letter
 * that does not fit in a record could not be published at all. The reason is bounded the same way (it may quote the
 * input). So a run.failed stays a few kilobytes whatever it answers.
 *
 * @param runId   the run; for a dead letter whose input has no valid run id, {@link SourceRecord#deadLetterKey()}
 *                (or {@link InvalidEventException#runId()} outside Kafka), so distinct inputs keep distinct keys on
 *                the compacted topic
 * @param stage   where it failed (decode, validate, prune, export, evaluate, ...): the service that owns it
 * @param reason  one line a user can act on ("prune.sparsity: 1.5 is outside [0, 1)"), at most
 *                {@link #MAX_REASON_CHARS} characters
 * @param excerpt the start of the offending input, for a dead letter
 * @param record  the offending Kafka record's topic, partition and offset, for a dead letter of a Kafka record
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt", "stage", "reason", "excerpt", "record"})
public record RunFailed(String runId, Instant occurredAt, RunStage stage, String reason, Excerpt excerpt,
        SourceRecord record) implements RunEvent {

    public static final String TYPE = "run.failed";
    /** Longer reasons are cut (an engine's message can quote a whole input). */
    public static final int MAX_REASON_CHARS = 1000;

    public RunFailed {
        Check.runEvent(runId, occurredAt);
        Check.present("stage", stage);
        reason = cut(Check.text("reason", reason), MAX_REASON_CHARS);
    }

    /** A run's own failure: no input to quote. */
    public RunFailed(String runId, Instant occurredAt, RunStage stage, String reason) {
        this(runId, occurredAt, stage, reason, null, null);
    }

    /** A failure outside Kafka; {@code payload}, when there is one, is kept only as its bounded excerpt. */
    public RunFailed(String runId, Instant occurredAt, RunStage stage, String reason, String payload) {
        this(runId, occurredAt, stage, reason, Excerpt.of(payload), null);
    }

    /**
     * The JSON reader. Dead letters written before excerpts carried the whole input as {@code payload}; they stay on
     * the compacted topic and are read as their excerpt, never passed on whole.
     */
    @JsonCreator
    static RunFailed read(@JsonProperty("runId") String runId, @JsonProperty("occurredAt") Instant occurredAt,
            @JsonProperty("stage") RunStage stage, @JsonProperty("reason") String reason,
            @JsonProperty("excerpt") Excerpt excerpt, @JsonProperty("record") SourceRecord record,
            @JsonProperty("payload") String payload) {
        return new RunFailed(runId, occurredAt, stage, reason, excerpt != null ? excerpt : Excerpt.of(payload),
                record);
    }

    /**
     * The start of an input, at most {@link #MAX_CHARS} characters of it.
     *
     * @param text       the first characters of the input as received
     * @param totalChars the input's whole length in characters
     * @param cut        whether {@code text} is only the start of it
     */
    @JsonPropertyOrder({"text", "totalChars", "cut"})
    public record Excerpt(String text, long totalChars, boolean cut) {
        public static final int MAX_CHARS = 512;

        public Excerpt {
            if (text == null) {
                throw new InvalidSetting("excerpt.text", "is missing");
            }
            if (text.length() > MAX_CHARS) {
                throw new InvalidSetting("excerpt.text", "is " + text.length() + " characters; an excerpt has at most "
                        + MAX_CHARS);
            }
            if (totalChars < text.length()) {
                throw new InvalidSetting("excerpt.totalChars", totalChars + " is shorter than the excerpt ("
                        + text.length() + " characters)");
            }
            if (cut != (totalChars > text.length())) {
                throw new InvalidSetting("excerpt.cut", cut + " contradicts " + text.length() + " of " + totalChars
                        + " characters");
            }
        }

        /** The excerpt of an input, null for none; never splits a surrogate pair. */
        public static Excerpt of(String input) {
            if (input == null) {
                return null;
            }
            if (input.length() <= MAX_CHARS) {
                return new Excerpt(input, input.length(), false);
            }
            int end = Character.isHighSurrogate(input.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
            return new Excerpt(input.substring(0, end), input.length(), true);
        }
    }

    /** Where a Kafka record was: enough to find it again with any Kafka tool, without copying it. */
    @JsonPropertyOrder({"topic", "partition", "offset"})
    public record SourceRecord(String topic, int partition, long offset) {
        public SourceRecord {
            Check.text("record.topic", topic);
            if (partition < 0) {
                throw new InvalidSetting("record.partition", partition + " must not be negative");
            }
            if (offset < 0) {
                throw new InvalidSetting("record.offset", offset + " must not be negative");
            }
        }

        /**
         * The key of a dead letter whose input has no valid run id: {@code invalid-<topic>-<partition>-<offset>},
         * unique per record (so compaction keeps each), or {@code invalid-} and 16 hex digits of its sha256 when a
         * long topic name would make it longer than a run id may be.
         */
        public String deadLetterKey() {
            String key = "invalid-" + topic + "-" + partition + "-" + offset;
            return key.length() <= RunRequested.MAX_RUN_ID_LENGTH && key.matches("[A-Za-z0-9._-]+") ? key
                    : "invalid-" + EventCodec.sha256Hex(key).substring(0, 16);
        }
    }

    /** The dead letter for an input the codec refused, outside Kafka. */
    public static RunFailed invalidInput(InvalidEventException e, Instant now) {
        return invalidInput(e, now, null);
    }

    /**
     * The dead letter for an input the codec refused: its reason and excerpt, and the record it came in, keyed by the
     * input's run id, else by the record's place, else by a hash of the input.
     */
    public static RunFailed invalidInput(InvalidEventException e, Instant now, SourceRecord record) {
        String key = e.payloadRunId().orElseGet(() -> record != null ? record.deadLetterKey() : e.runId());
        return new RunFailed(key, now, RunStage.DECODE, e.getMessage(), Excerpt.of(e.payload()), record);
    }

    /**
     * The dead letter of a refused record that belongs to no run (a sweep's cancellation): keyed by where the record
     * was, never by a run id it may name, so that it cannot end a run; by a hash of the input outside Kafka.
     */
    public static RunFailed invalidRecord(InvalidEventException e, Instant now, SourceRecord record) {
        String key = record != null ? record.deadLetterKey()
                : "invalid-" + EventCodec.sha256Hex(e.payload() == null ? "" : e.payload()).substring(0, 16);
        return new RunFailed(key, now, RunStage.DECODE, e.getMessage(), Excerpt.of(e.payload()), record);
    }

    /** A failure of {@code stage} with {@link #reasonOf}'s one line. */
    public static RunFailed of(String runId, Instant now, RunStage stage, Throwable e) {
        return new RunFailed(runId, now, stage, reasonOf(e));
    }

    /**
     * The one-line reason every service publishes: the exception's message with line breaks folded (with its
     * cause's message for an UncheckedIOException), or its type and its cause's reason when it has no message.
     */
    public static String reasonOf(Throwable e) {
        if (e == null) {
            return "unknown failure";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName() + (e.getCause() != null ? ": " + reasonOf(e.getCause()) : "");
        } else if (e instanceof UncheckedIOException && e.getCause() != null
                && e.getCause().getMessage() != null) {
            message = message + ": " + e.getCause().getMessage();
        }
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    /** A reason as a run.failed carries it, for logs that quote an input's refusal too: at most the bound. */
    public static String bounded(String reason) {
        return cut(reason, MAX_REASON_CHARS);
    }

    /** {@code text}, or its start with a note of how long it was when it is longer than {@code max}. */
    static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        String note = "... (cut: " + text.length() + " characters)";
        int end = max - note.length();
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + note;
    }
}
