package dev.prunelab.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.Topics;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

class InboxTest {

    private static final EventCodec CODEC = new EventCodec();

    private static String request(String runId, Instant at) {
        return CODEC.encode(new RunRequested(runId, at, "s", new ModelRef("/m.bin", null),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5), null, null));
    }

    /** A record as the Kafka connector hands it over: the value with its topic, partition and offset. */
    private static Message<String> fromKafka(String value, int partition, long offset) {
        ConsumerRecord<String, String> record = new ConsumerRecord<>(Topics.RUN_REQUESTED, partition, offset, null, value);
        return Message.of(value).addMetadata(new IncomingKafkaRecordMetadata<>(record, "run-requested"));
    }

    @Test
    void theSameRunRequestPublishedTwiceIsWorkedOnOnceEvenAtAnotherTime() {
        List<RunFailed> deadLetters = new ArrayList<>();
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetters::add);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        RunRequested a = inbox.receive(Message.of(request("a", t0))).orElseThrow();
        inbox.done(a); // its outcome is recorded
        // a second gateway publishing the same sweep a few seconds later
        assertTrue(inbox.receive(Message.of(request("a", t0.plusSeconds(3)))).isEmpty());
        assertTrue(inbox.receive(Message.of(request("b", t0))).isPresent());
        assertEquals(List.of(), deadLetters);
    }

    @Test
    void aRecordRedeliveredAfterAFailedAttemptIsWorkedOnAgainNotSkipped() {
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), d -> { });
        Message<String> record = Message.of(request("lost-before", Instant.parse("2026-01-01T00:00:00Z")));
        assertTrue(inbox.receive(record).isPresent());
        // the work failed before its outcome was recorded (nacked): nothing is done yet, the redelivery is worked on
        RunRequested again = inbox.receive(record).orElseThrow(() -> new AssertionError("the redelivery was skipped"));
        inbox.done(again);
        assertTrue(inbox.receive(record).isEmpty(), "once recorded, a redelivery is a duplicate");
    }

    @Test
    void anUndecodableRecordIsDeadLetteredAtDecode() {
        List<RunFailed> deadLetters = new ArrayList<>();
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetters::add);
        assertTrue(inbox.receive(Message.of("{\"type\":")).isEmpty());
        assertEquals(1, deadLetters.size());
        assertEquals(RunStage.DECODE, deadLetters.get(0).stage());
    }

    @Test
    void aDeadLetterOfAKafkaRecordNamesItsTopicPartitionAndOffsetAndStaysSmall() {
        List<RunFailed> deadLetters = new ArrayList<>();
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetters::add);
        String junk = "\u0001junk".repeat(200_000);
        assertTrue(inbox.receive(fromKafka(junk, 1, 4711)).isEmpty());
        assertTrue(inbox.receive(fromKafka(junk, 1, 4712)).isEmpty());
        RunFailed first = deadLetters.get(0);
        assertEquals(new RunFailed.SourceRecord(Topics.RUN_REQUESTED, 1, 4711), first.record());
        assertEquals("invalid-prunelab.run.requested-1-4711", first.runId(), "keyed by where it was: no run id");
        assertEquals("invalid-prunelab.run.requested-1-4712", deadLetters.get(1).runId(),
                "the same junk again is another dead letter, not collapsed into the first by compaction");
        assertEquals(junk.length(), first.excerpt().totalChars());
        int bytes = CODEC.encode(first).getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes < 4096, bytes + " bytes");
    }
}
