package dev.prunelab.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStoreTest.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The claim / outcome / lease protocol, on replicas whose clocks and heartbeats the test moves: no sleeps. */
class ClaimedWorkTest {

    private static final EventCodec CODEC = new EventCodec();
    private static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final String KIND = "prune";

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(T0);

    private ArtifactStore replica(String owner) {
        return new ArtifactStore(dir.resolve("shared"), owner, LEASE, clock, false);
    }

    /** The work's outcome: an event that names the replica that produced it. */
    private static Event done(String runId, String by) {
        return new RunProgress(runId, T0, RunStage.EXPORT, 1.0, "exported by " + by);
    }

    private static ClaimedWork.Failure failure(String runId) {
        return e -> RunFailed.of(runId, T0, RunStage.STORE, e);
    }

    @Test
    void theWorkRunsOnceItsOutcomeIsRecordedAndAnsweredAgain() throws Exception {
        ArtifactStore store = replica("pruner-a");
        ClaimedWork work = new ClaimedWork(store, d -> {
            throw new AssertionError("nobody holds the claim: no wait");
        });
        AtomicInteger runs = new AtomicInteger();
        ClaimedWork.Outcome first = work.perform(KIND, "run-1", ClaimedWork.Existing.NONE, () -> {
            runs.incrementAndGet();
            return done("run-1", "a");
        }, failure("run-1"));
        assertEquals(done("run-1", "a"), first.event());
        assertTrue(first.recorded());
        assertEquals(Optional.of(CODEC.encode(done("run-1", "a"))), store.outcomes().find(KIND, "run-1"));
        assertEquals(List.of("run-1"), store.outcomes().unpublished(KIND), "recorded, not yet published");
        assertTrue(replica("pruner-b").claim(KIND, "run-1").isPresent(), "the claim was released");

        ClaimedWork.Outcome again = new ClaimedWork(replica("pruner-c")).perform(KIND, "run-1",
                ClaimedWork.Existing.NONE, () -> {
                    runs.incrementAndGet();
                    return done("run-1", "c");
                }, failure("run-1"));
        assertEquals(1, runs.get(), "a recorded outcome is answered, not worked for again");
        assertEquals(first.event(), again.event());
        assertEquals(CloudEvents.id(first.event()), CloudEvents.id(again.event()), "the same event id: deduplicated");
    }

    @Test
    void aReplicaWaitsWhileALiveHolderWorksAndAnswersTheHoldersOutcome() throws Exception {
        ArtifactStore holder = replica("pruner-a");
        ArtifactStore waiter = replica("pruner-b");
        ArtifactStore.Claim held = holder.claim(KIND, "run-2").orElseThrow();
        List<Duration> pauses = new ArrayList<>();
        ClaimedWork work = new ClaimedWork(waiter, d -> {
            pauses.add(d);
            clock.advance(d);
            holder.renewHeartbeats(); // alive
            if (pauses.size() == 3) { // the holder finishes
                try {
                    holder.outcomes().record(KIND, "run-2", CODEC.encode(done("run-2", "a")));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                held.close();
            }
        });
        ClaimedWork.Outcome outcome = work.perform(KIND, "run-2", ClaimedWork.Existing.NONE, () -> {
            throw new AssertionError("the holder is alive: the waiter must not work");
        }, failure("run-2"));
        assertEquals(done("run-2", "a"), outcome.event());
        assertEquals(List.of(ClaimedWork.pollInterval(LEASE), ClaimedWork.pollInterval(LEASE),
                ClaimedWork.pollInterval(LEASE)), pauses);
    }

    @Test
    void aReplicaTakesTheWorkOverOnceTheHoldersHeartbeatIsSilentForTheLease() throws Exception {
        ArtifactStore dead = replica("pruner-a");
        ArtifactStore waiter = replica("pruner-b");
        ArtifactStore.Claim orphan = dead.claim(KIND, "run-3").orElseThrow(); // then SIGKILLed: no more heartbeats
        Instant claimedAt = clock.instant();
        List<Duration> pauses = new ArrayList<>();
        ClaimedWork work = new ClaimedWork(waiter, d -> {
            pauses.add(d);
            clock.advance(d);
        });
        ClaimedWork.Outcome outcome = work.perform(KIND, "run-3", ClaimedWork.Existing.NONE, () -> {
            assertTrue(clock.instant().isAfter(claimedAt.plus(LEASE)), "taken over only after the lease");
            return done("run-3", "b");
        }, failure("run-3"));
        assertEquals(done("run-3", "b"), outcome.event());
        assertTrue(outcome.recorded());
        // 30 s of lease polled every 1 s: taken over at the first look after it ran out
        assertEquals(LEASE.dividedBy(ClaimedWork.pollInterval(LEASE)) + 1, pauses.size());
        orphan.close(); // the dead holder's late release frees nothing of the new holder's
        assertEquals(Optional.of(CODEC.encode(done("run-3", "b"))), waiter.outcomes().find(KIND, "run-3"));
    }

    @Test
    void anExceptionTheWorkLetsOutIsItsRecordedFailureAnsweredAgain() {
        ArtifactStore store = replica("evaluator-a");
        ClaimedWork work = new ClaimedWork(store);
        ClaimedWork.Failure failure = e -> RunFailed.of("run-4", T0, RunStage.EVALUATE, e);
        ClaimedWork.Outcome outcome = work.perform("evaluate", "run-4", ClaimedWork.Existing.NONE, () -> {
            throw new IllegalStateException("session closed");
        }, failure);
        RunFailed failed = assertInstanceOf(RunFailed.class, outcome.event());
        assertEquals(RunStage.EVALUATE, failed.stage());
        assertEquals("session closed", failed.reason());
        assertTrue(outcome.recorded());
        assertEquals(failed, work.perform("evaluate", "run-4", ClaimedWork.Existing.NONE,
                () -> done("run-4", "a"), failure).event(), "a recorded failure is answered again");
    }

    @Test
    void anOutcomeTheStoreHoldsOtherwiseIsAnsweredAndRecordedSoLaterAnswersAreTheSameEvent() {
        ArtifactStore store = replica("pruner-a");
        ClaimedWork work = new ClaimedWork(store);
        AtomicInteger looks = new AtomicInteger();
        // a committed artifact rebuilt into its event, each time with the clock's time
        ClaimedWork.Existing artifact = () -> Optional.of(new RunProgress("run-5", T0.plusSeconds(looks.incrementAndGet()),
                RunStage.EXPORT, 1.0, null));
        Event first = work.perform(KIND, "run-5", artifact, () -> {
            throw new AssertionError("the artifact is the outcome");
        }, failure("run-5")).event();
        Event second = work.perform(KIND, "run-5", artifact, () -> {
            throw new AssertionError("the artifact is the outcome");
        }, failure("run-5")).event();
        assertEquals(first, second);
        assertEquals(1, looks.get());
    }

    @Test
    void aStoreThatRefusesTheWorkIsAnUnrecordedFailure() {
        ClaimedWork.Outcome outcome = new ClaimedWork(replica("pruner-a")).perform(KIND, "../escape",
                ClaimedWork.Existing.NONE, () -> done("x", "a"), e -> RunFailed.of("escape", T0, RunStage.STORE, e));
        RunFailed failed = assertInstanceOf(RunFailed.class, outcome.event());
        assertEquals(RunStage.STORE, failed.stage());
        assertFalse(outcome.recorded(), "nothing was recorded: the redelivery may find the store well again");
    }

    @Test
    void thePollIntervalIsATwentiethOfTheLeaseBetweenATenthOfASecondAndASecond() {
        assertEquals(Duration.ofSeconds(1), ClaimedWork.pollInterval(Duration.ofSeconds(60)));
        assertEquals(Duration.ofMillis(500), ClaimedWork.pollInterval(Duration.ofSeconds(10)));
        assertEquals(Duration.ofMillis(100), ClaimedWork.pollInterval(Duration.ofMillis(500)));
    }
}
