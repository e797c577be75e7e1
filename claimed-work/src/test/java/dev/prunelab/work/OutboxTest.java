package dev.prunelab.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStoreTest.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing recorded outcomes: bounded retries with backoff, then the relay once the broker is back. No sleeps. */
class OutboxTest {

    private static final EventCodec CODEC = new EventCodec();
    private static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");
    private static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 3);
    private static final Set<String> KINDS = Set.of("prune", "decode.pruner");

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(T0);
    private final List<Duration> pauses = new ArrayList<>();

    /** A broker that refuses the first {@code failures} sends (a timeout, say), then acknowledges every one. */
    static final class Broker implements Outbox.Publisher {
        int failures;
        int attempts;
        final List<Event> published = new ArrayList<>();
        final List<String> publishedJson = new ArrayList<>();

        Broker(int failures) {
            this.failures = failures;
        }

        @Override
        public void publish(Event event, String json) {
            attempts++;
            if (failures > 0) {
                failures--;
                throw new IllegalStateException("could not publish " + event.type() + " within PT60S");
            }
            published.add(event);
            publishedJson.add(json);
        }
    }

    private ArtifactStore store(String owner) {
        return new ArtifactStore(dir.resolve("shared"), owner, Duration.ofSeconds(30), clock, false);
    }

    private Outbox outbox(ArtifactStore store, Broker broker) {
        return new Outbox(store.outcomes(), broker, BACKOFF, d -> {
            pauses.add(d);
            clock.advance(d);
        }, clock);
    }

    private static RunFailed failure(String runId) {
        return new RunFailed(runId, T0, RunStage.PRUNE, "out of memory");
    }

    private static ClaimedWork.Outcome recorded(ArtifactStore store, String id, Event event) throws Exception {
        store.outcomes().record("prune", id, CODEC.encode(event));
        return new ClaimedWork.Outcome("prune", id, event, true);
    }

    @Test
    void aSendThatKeepsFailingIsRetriedWithBackoffThenPublishedByTheRelayOnceTheBrokerIsBack() throws Exception {
        ArtifactStore store = store("pruner-a");
        Broker broker = new Broker(5);
        Outbox outbox = outbox(store, broker);
        ClaimedWork.Outcome outcome = recorded(store, "run-1", failure("run-1"));

        assertFalse(outbox.deliver(outcome), "three tries, all refused");
        assertEquals(3, broker.attempts);
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), pauses, "doubling waits between tries");
        assertEquals(List.of("run-1"), store.outcomes().unpublished("prune"), "still recorded, as not yet published");

        assertEquals(0, outbox.relay(KINDS), "the broker is still away");
        assertEquals(4, broker.attempts);
        assertEquals(0, outbox.relay(KINDS), "not due again before the backoff");
        assertEquals(4, broker.attempts);
        clock.advance(Duration.ofSeconds(1));
        assertEquals(0, outbox.relay(KINDS));
        assertEquals(5, broker.attempts, "the fifth refusal: now it waits 2 s");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(0, outbox.relay(KINDS));
        assertEquals(5, broker.attempts);
        clock.advance(Duration.ofSeconds(1));

        assertEquals(1, outbox.relay(KINDS), "the broker is back");
        assertEquals(List.of(failure("run-1")), broker.published);
        assertEquals(List.of(), store.outcomes().unpublished("prune"));
        assertEquals(0, outbox.relay(KINDS), "published once: nothing left");
        assertEquals(List.of(failure("run-1")), broker.published);
    }

    @Test
    void anotherReplicasRelayPublishesAnOutcomeThisOneRecordedAndTheSameEventIdIsKept() throws Exception {
        ArtifactStore cutOff = store("pruner-a");
        ArtifactStore connected = store("pruner-b");
        Broker away = new Broker(Integer.MAX_VALUE);
        Broker up = new Broker(0);
        ClaimedWork.Outcome outcome = recorded(cutOff, "run-2", failure("run-2"));
        assertFalse(outbox(cutOff, away).deliver(outcome));

        assertEquals(1, outbox(connected, up).relay(KINDS));
        assertEquals(CloudEvents.id(outcome.event()), CloudEvents.id(up.published.get(0)));
        // the record's value is the recorded bytes themselves, not a second encoding of the decoded event
        assertEquals(List.of(cutOff.outcomes().find("prune", "run-2").orElseThrow()), up.publishedJson);
        assertTrue(cutOff.outcomes().isPublished("prune", "run-2"));
    }

    @Test
    void aRedeliveredOutcomeIsPublishedAgainAndLeftToTheRelayWhenThatFails() throws Exception {
        ArtifactStore store = store("pruner-a");
        ClaimedWork.Outcome outcome = recorded(store, "run-3", failure("run-3"));
        assertTrue(outbox(store, new Broker(0)).deliver(outcome));
        assertTrue(store.outcomes().isPublished("prune", "run-3"));
        // the request is redelivered (its ack was lost): its recorded outcome again, and the broker is away now
        assertFalse(outbox(store, new Broker(Integer.MAX_VALUE)).deliver(outcome));
        assertEquals(List.of("run-3"), store.outcomes().unpublished("prune"));
    }

    @Test
    void aDeadLetterIsRecordedUnderItsKeyAndDelivered() throws Exception {
        ArtifactStore store = store("pruner-a");
        Broker broker = new Broker(0);
        RunFailed dead = new RunFailed("invalid-prunelab.run.requested-0-7", T0, RunStage.DECODE, "(json): not JSON",
                RunFailed.Excerpt.of("{"), new RunFailed.SourceRecord("prunelab.run.requested", 0, 7));
        ClaimedWork.Outcome outcome = outbox(store, broker).recordAndDeliver("decode.pruner", dead.runId(), dead);
        assertTrue(outcome.recorded());
        assertEquals(List.of(dead), broker.published);
        assertEquals(List.of(store.outcomes().find("decode.pruner", dead.runId()).orElseThrow()), broker.publishedJson,
                "published as recorded: one encoding");
        assertEquals(List.of(), store.outcomes().unpublished("decode.pruner"));
    }

    @Test
    void aDeadLetterOfARecordReadAgainAtEveryStartIsRecordedOnceAndPublishedByTheRelay() throws Exception {
        ArtifactStore store = store("pruner-a");
        Broker broker = new Broker(0);
        Outbox outbox = outbox(store, broker);
        RunFailed dead = new RunFailed("invalid-prunelab.sweep.cancelled-0-3", T0, RunStage.DECODE, "(json): not JSON",
                RunFailed.Excerpt.of("?"), new RunFailed.SourceRecord("prunelab.sweep.cancelled", 0, 3));
        assertTrue(outbox.recordOnce("decode.pruner", dead.runId(), dead));
        assertFalse(outbox.recordOnce("decode.pruner", dead.runId(), new RunFailed(dead.runId(), T0.plusSeconds(60), dead.stage(),
                dead.reason(), dead.excerpt(), dead.record())),
                "read again after a restart: recorded already");
        assertEquals(List.of(), broker.published, "nothing waits for the broker here");
        assertEquals(1, outbox.relay(KINDS));
        assertEquals(List.of(dead), broker.published);
    }

    @Test
    void anOutcomeTheStoreCouldNotRecordIsPublishedOrElseRefused() {
        ArtifactStore store = store("pruner-a");
        ClaimedWork.Outcome unrecorded = new ClaimedWork.Outcome("prune", "run-4", failure("run-4"), false);
        Broker up = new Broker(1);
        assertTrue(outbox(store, up).deliver(unrecorded), "published on the second try");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> outbox(store, new Broker(Integer.MAX_VALUE)).deliver(unrecorded));
        assertTrue(e.getMessage().contains("the store did not record it"), e.getMessage());
    }

    @Test
    void backoffDoublesUpToItsCap() {
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8), Duration.ofSeconds(8)), java.util.stream.IntStream.rangeClosed(1, 5)
                .mapToObj(BACKOFF::delay).toList());
        assertEquals(Duration.ofSeconds(8), BACKOFF.delay(1000));
    }
}
