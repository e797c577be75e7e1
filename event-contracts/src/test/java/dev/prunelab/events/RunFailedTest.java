package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.vocabulary.RunStage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dead letters stay small whatever they answer, say where the record was, and keep distinct keys. */
class RunFailedTest {

    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private static final EventCodec CODEC = new EventCodec();
    /** Far below Kafka's default max.request.size (1 MB): what a dead letter must fit in whatever its input. */
    private static final int SMALL_BYTES = 4096;
    private static final RunFailed.SourceRecord AT = new RunFailed.SourceRecord(Topics.RUN_REQUESTED, 2, 17);

    private static RunFailed deadLetterOf(String payload, RunFailed.SourceRecord record) {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> CODEC.decode(payload, RunRequested.class));
        return RunFailed.invalidInput(e, T, record);
    }

    private static int bytes(RunFailed event) {
        return CODEC.encode(event).getBytes(StandardCharsets.UTF_8).length;
    }

    /** Inputs of the fault test: junk, escaped quotes (each doubles when written into JSON), huge or escaped ids. */
    static List<String> hostileInputs() {
        String quotes = "\\\"".repeat(300_000); // 600 KB of \" as it would stand inside a JSON string
        return List.of(
                "x".repeat(1_000_000),
                quotes,
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"esc-1\",\"note\":\"" + quotes + "\"}",
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"" + quotes + "\"}",
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"" + "r".repeat(600_000) + "\"}",
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"" + "f".repeat(600_000) + "\":1}",
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"ok-1\",\"occurredAt\":\"2026-01-31T12:00:00Z\","
                        + "\"model\":{\"path\":\"/m.bin\"},\"prune\":{\"method\":\"" + "\\\"".repeat(300_000) + "\"}}",
                "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"ok-2\",\"occurredAt\":\"2026-01-31T12:00:00Z\","
                        + "\"model\":{\"path\":\"/m.bin\"},\"prune\":{\"method\":\"wanda\",\"sparsity\":\""
                        + "9".repeat(600_000) + "\"}}");
    }

    @Test
    void aDeadLetterOfAnyInputIsAFewKilobytesNamingTheRecordAndTheReason() throws Exception {
        for (String payload : hostileInputs()) {
            RunFailed dead = deadLetterOf(payload, AT);
            String json = CODEC.encode(dead);
            assertTrue(bytes(dead) < SMALL_BYTES, bytes(dead) + " bytes for a " + payload.length()
                    + "-character input: " + json.substring(0, 300));
            assertEquals(RunStage.DECODE, dead.stage());
            assertFalse(dead.reason().isBlank());
            assertTrue(dead.reason().length() <= RunFailed.MAX_REASON_CHARS);
            assertTrue(dead.excerpt().cut(), "the excerpt says it was cut");
            assertEquals(payload.length(), dead.excerpt().totalChars());
            assertEquals(payload.substring(0, dead.excerpt().text().length()), dead.excerpt().text());
            JsonNode node = new ObjectMapper().readTree(json);
            assertEquals(Topics.RUN_REQUESTED, node.at("/record/topic").asText());
            assertEquals(2, node.at("/record/partition").asInt());
            assertEquals(17, node.at("/record/offset").asLong());
            assertEquals(dead, CODEC.decode(json), "a dead letter reads back as itself");
        }
    }

    @Test
    void aDeadLetterIsKeyedByItsValidRunIdElseByWhereItsRecordWas() {
        assertEquals("esc-1", deadLetterOf(hostileInputs().get(2), AT).runId());
        String noId = "not json at all";
        assertEquals("invalid-prunelab.run.requested-2-17", deadLetterOf(noId, AT).runId());
        // the same junk at two offsets: two dead letters that compaction keeps apart
        assertNotEquals(deadLetterOf(noId, AT).runId(),
                deadLetterOf(noId, new RunFailed.SourceRecord(Topics.RUN_REQUESTED, 2, 18)).runId());
        // a huge or escaped run id is not a run id
        assertEquals("invalid-prunelab.run.requested-2-17", deadLetterOf(hostileInputs().get(3), AT).runId());
        // outside Kafka: a hash of the input
        assertTrue(deadLetterOf(noId, null).runId().matches("invalid-[0-9a-f]{16}"));
        // a record on a topic whose name would make too long a key
        RunFailed.SourceRecord longTopic = new RunFailed.SourceRecord("t".repeat(200), 0, 1);
        assertTrue(longTopic.deadLetterKey().matches("invalid-[0-9a-f]{16}"), longTopic.deadLetterKey());
    }

    @Test
    void anOlderDeadLetterWithTheWholePayloadIsReadAsItsExcerptAndNeverWrittenWhole() {
        String payload = "{\"junk\":\"" + "y".repeat(100_000) + "\"}";
        String older = "{\"schemaVersion\":1,\"type\":\"run.failed\",\"runId\":\"invalid-0123456789abcdef\","
                + "\"occurredAt\":\"2026-01-31T12:00:00Z\",\"stage\":\"decode\",\"reason\":\"type: is missing\","
                + "\"payload\":" + new com.fasterxml.jackson.databind.node.TextNode(payload) + "}";
        RunFailed read = CODEC.decode(older, RunFailed.class);
        assertEquals(new RunFailed.Excerpt(payload.substring(0, RunFailed.Excerpt.MAX_CHARS), payload.length(), true),
                read.excerpt());
        assertNull(read.record());
        String again = CODEC.encode(read);
        assertFalse(again.contains("\"payload\""), again);
        assertTrue(again.length() < SMALL_BYTES, again.length() + " characters");
    }

    @Test
    void aLongReasonIsCutWithItsLengthAndAnExcerptNeverSplitsACharacter() {
        RunFailed failed = new RunFailed("r", T, RunStage.EVALUATE, "e".repeat(5000));
        assertEquals(RunFailed.MAX_REASON_CHARS, failed.reason().length());
        assertTrue(failed.reason().endsWith("... (cut: 5000 characters)"), failed.reason());
        String emoji = "a".repeat(RunFailed.Excerpt.MAX_CHARS - 1) + "\uD83D\uDE00" + "b";
        RunFailed.Excerpt excerpt = RunFailed.Excerpt.of(emoji);
        assertEquals(RunFailed.Excerpt.MAX_CHARS - 1, excerpt.text().length(), "the surrogate pair is left out whole");
        assertThrows(IllegalArgumentException.class, () -> new RunFailed.Excerpt("abc", 10, false),
                "an excerpt that says it is whole while it is not");
    }
}
