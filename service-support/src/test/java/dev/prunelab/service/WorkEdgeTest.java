package dev.prunelab.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunRequested;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.Backoff;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.Outbox;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record's way through the edge, without Quarkus: work, recorded outcome, publish, ack; no sleeps. */
class WorkEdgeTest {

    private static final EventCodec CODEC = new EventCodec();
    private static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    @TempDir
    Path dir;

    /** A broker that is away (every send fails) until it is back. */
    static final class Broker implements Outbox.Publisher {
        boolean away;
        final List<Event> published = new ArrayList<>();

        @Override
        public void publish(Event event, String json) {
            if (away) {
                throw new IllegalStateException("could not publish " + event.type() + " within PT60S");
            }
            published.add(event);
        }
    }

    /** A record with the acks and nacks it got. */
    static final class Delivery {
        int acks;
        int nacks;
        final Message<String> message;

        Delivery(String payload) {
            message = Message.of(payload, () -> {
                acks++;
                return CompletableFuture.completedFuture(null);
            }, e -> {
                nacks++;
                return CompletableFuture.completedFuture(null);
            });
        }
    }

    /** The relay's clock, moved by the test past a backoff. */
    static final class MovableClock extends Clock {
        Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final Broker broker = new Broker();
    private final MovableClock clock = new MovableClock();
    private final List<RunFailed> deadLetters = new ArrayList<>();
    private ArtifactStore store;
    private WorkEdge<RunRequested> edge;

    @BeforeEach
    void edge() {
        store = new ArtifactStore(dir.resolve("store"));
        Outbox outbox = new Outbox(store.outcomes(), broker, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(4), 2),
                d -> clock.now = clock.now.plus(d), clock);
        edge = new WorkEdge<>(RunRequested.class, "prune", "decode.test", outbox, clock, deadLetters::add);
    }

    private static String request(String runId) {
        return CODEC.encode(new RunRequested(runId, T0, null, new ModelRef("/m.bin", null),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5), null, null));
    }

    /** The work as ClaimedWork does it: the outcome recorded in the store. */
    private ClaimedWork.Outcome work(RunRequested request, AtomicInteger runs) {
        return new ClaimedWork(store).perform("prune", request.runId(), ClaimedWork.Existing.NONE, () -> {
            runs.incrementAndGet();
            return new RunFailed(request.runId(), T0, RunStage.VALIDATE, "model.path: models:m.bin does not exist");
        }, e -> RunFailed.of(request.runId(), T0, RunStage.STORE, e));
    }

    @Test
    void aRecordWhoseAttemptFailedBeforeItsOutcomeWasRecordedIsWorkedOnWhenRedelivered() {
        Delivery record = new Delivery(request("run-1"));
        AtomicInteger runs = new AtomicInteger();
        // the first attempt: the store could not record the outcome, and the broker was away
        broker.away = true;
        edge.onMessage(record.message, request -> {
            runs.incrementAndGet();
            return new ClaimedWork.Outcome("prune", request.runId(),
                    new RunFailed(request.runId(), T0, RunStage.STORE, "disk full"), false);
        });
        assertEquals(1, record.nacks, "neither recorded nor published: not done");
        assertEquals(0, record.acks);
        broker.away = false;
        // redelivered: worked on again, not skipped as already received
        edge.onMessage(record.message, request -> work(request, runs));
        assertEquals(2, runs.get());
        assertEquals(1, record.acks);
        // and once its outcome is recorded, another delivery is a duplicate
        edge.onMessage(record.message, request -> work(request, runs));
        assertEquals(2, runs.get());
        assertEquals(2, record.acks);
    }

    @Test
    void anOutcomeTheBrokerDoesNotTakeIsAcknowledgedAndPublishedByTheRelayLater() {
        broker.away = true;
        Delivery record = new Delivery(request("run-2"));
        AtomicInteger runs = new AtomicInteger();
        edge.onMessage(record.message, request -> work(request, runs));
        assertEquals(1, record.acks, "the outcome is recorded: the record is done");
        assertEquals(0, record.nacks);
        assertEquals(0, edge.relay(), "still away");
        broker.away = false;
        assertEquals(0, edge.relay(), "not due before the backoff, though the broker is back");
        clock.now = clock.now.plusSeconds(1);
        assertEquals(1, edge.relay());
        assertEquals("run-2", ((RunFailed) broker.published.get(0)).runId());
    }

    @Test
    void aRecordThatIsNotAnEventIsADeadLetterRecordedPublishedAndAcknowledged() throws Exception {
        Delivery junk = new Delivery("{".repeat(100_000));
        edge.onMessage(junk.message, request -> {
            throw new AssertionError("no work for a dead letter");
        });
        assertEquals(1, junk.acks);
        assertEquals(1, deadLetters.size());
        RunFailed published = (RunFailed) broker.published.get(0);
        assertEquals(deadLetters.get(0), published);
        assertTrue(store.outcomes().find("decode.test", published.runId()).isPresent(), "recorded under its key");
        assertTrue(CODEC.encode(published).length() < 4096);
    }
}
