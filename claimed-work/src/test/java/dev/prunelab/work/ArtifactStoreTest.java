package dev.prunelab.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {

    @TempDir
    Path dir;

    static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void writesUnderATemporaryNameAndRenamesWhenComplete() throws Exception {
        ArtifactStore store = new ArtifactStore(dir.resolve("store"));
        ArtifactStore.Staging staging = store.stage("run-1");
        Files.writeString(staging.directory().resolve("model.onnx"), "abc");
        Files.createDirectory(staging.directory().resolve("tok"));
        Files.writeString(staging.directory().resolve("tok/tokenizer.bin"), "xy");
        assertFalse(Files.exists(store.root().resolve("run-1")), "invisible until committed");
        assertTrue(staging.directory().getFileName().toString().startsWith(".tmp-run-1-"));

        ArtifactRef ref = staging.commit();
        Path committed = store.root().resolve("run-1");
        assertTrue(Files.isDirectory(committed));
        assertFalse(Files.exists(staging.directory()));
        assertEquals(5, ref.sizeBytes());
        assertEquals(sha256("model.onnx\n3\nabc" + "tok/tokenizer.bin\n2\nxy"), ref.sha256());
        assertTrue(ref.uri().startsWith("file:"), ref.uri());
        assertEquals(committed, store.resolve(ref.uri()));
        assertEquals(committed, store.verify(ref));
    }

    @Test
    void aSecondCommitOfTheSameNameKeepsTheFirst() throws Exception {
        ArtifactStore store = new ArtifactStore(dir);
        ArtifactStore.Staging first = store.stage("run-1");
        Files.writeString(first.directory().resolve("model.onnx"), "abc");
        ArtifactRef ref = first.commit();
        ArtifactStore.Staging again = store.stage("run-1");
        Files.writeString(again.directory().resolve("model.onnx"), "abc");
        assertEquals(ref, again.commit());
        assertFalse(Files.exists(again.directory()));
    }

    @Test
    void aSingleFileHashesLikeSha256sum() throws Exception {
        ArtifactStore store = new ArtifactStore(dir);
        Files.writeString(store.root().resolve("report.json"), "{}");
        ArtifactRef ref = store.describe("report.json");
        assertEquals(sha256("{}"), ref.sha256());
        assertEquals(2, ref.sizeBytes());
    }

    @Test
    void refusesPathsOutsideTheStore() throws IOException {
        ArtifactStore store = new ArtifactStore(dir.resolve("store"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "no");
        String root = store.root().toString();
        for (String reference : new String[] {"../secret.txt", "run-1/../../secret.txt", secret.toString(),
                secret.toUri().toString(), root + "/../secret.txt", "file:" + root + "/../secret.txt"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.resolve(reference),
                    reference);
            assertEquals("'" + reference + "' is outside the artifact store", e.getMessage());
        }
        Files.createSymbolicLink(store.root().resolve("link"), dir);
        assertEquals("'link/secret.txt' is outside the artifact store",
                assertThrows(IllegalArgumentException.class, () -> store.resolve("link/secret.txt")).getMessage());
        Files.createSymbolicLink(store.root().resolve("file-link"), secret);
        assertThrows(IllegalArgumentException.class, () -> store.resolve("file-link"));
        assertThrows(IllegalArgumentException.class, () -> store.resolve("s3://bucket/run-1"));
        assertThrows(IllegalArgumentException.class, () -> store.stage("../run-1"));
        assertEquals(store.root().resolve("run-9"), store.resolve("run-9"));
    }

    @Test
    void refusesSymlinksInsideAnArtifactAndCleansAbandonedWrites() throws Exception {
        ArtifactStore store = new ArtifactStore(dir.resolve("store"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "no");
        ArtifactStore.Staging staging = store.stage("run-2");
        Files.createSymbolicLink(staging.directory().resolve("model.onnx"), secret);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, staging::commit);
        assertEquals("artifact run-2 contains a symbolic link model.onnx; the store holds plain files only", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.resolve(staging.directory().toString()));
        staging.discard();
        assertFalse(Files.exists(staging.directory()));
    }

    /** A clock the test moves by hand: the replicas' heartbeats and leases are read from it. */
    static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** The replicas' lease, and the clock they share, which only the test moves. */
    private final Duration lease = Duration.ofSeconds(30);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-31T12:00:00Z"));

    /** A replica on the shared clock whose heartbeat only the test renews ({@link ArtifactStore#renewHeartbeats()}). */
    private ArtifactStore replica(String owner) {
        return new ArtifactStore(dir.resolve("shared"), owner, lease, clock, false);
    }

    @Test
    void aReplicaRemovesOnlyStagingWhoseWriterStoppedBeating() throws Exception {
        ArtifactStore first = replica("pruner-a");
        ArtifactStore dying = replica("pruner-c");
        ArtifactStore second = replica("pruner-b");
        ArtifactStore.Staging working = first.stage("run-4");
        ArtifactStore.Staging dead = dying.stage("run-5");
        Files.writeString(working.directory().resolve("model.onnx"), "half");
        // a second replica starting up keeps the others' work in progress (the bug: it deleted every .tmp-*)
        assertEquals(0, second.removeAbandoned());
        assertTrue(Files.exists(working.directory().resolve("model.onnx")));
        assertTrue(Files.exists(dead.directory()));
        // a lease later: still inside it, nothing is abandoned yet
        clock.advance(lease);
        first.renewHeartbeats();
        assertEquals(0, second.removeAbandoned(), "a heartbeat exactly one lease old is still trusted");
        // the writer of run-5 died (its heartbeat stopped); the writer of run-4 keeps beating
        clock.advance(Duration.ofSeconds(1));
        first.renewHeartbeats();
        assertEquals(1, second.removeAbandoned());
        assertFalse(Files.exists(dead.directory()));
        assertTrue(Files.exists(working.directory()));
        // a replica never removes its own staging, whatever its heartbeat's age
        clock.advance(lease.multipliedBy(2));
        assertEquals(0, first.removeAbandoned());
        assertTrue(Files.exists(working.directory()));
        ArtifactRef ref = working.commit();
        assertFalse(Files.exists(first.resolve("run-4").resolve(ArtifactStore.OWNER_FILE)), "no owner file in an artifact");
        assertEquals(4, ref.sizeBytes());
    }

    @Test
    void aClaimIsOneReplicasUntilReleasedOrItsOwnerIsGone() throws Exception {
        ArtifactStore first = replica("pruner-a");
        ArtifactStore second = replica("pruner-b");
        ArtifactStore.Claim claim = first.claim("prune", "run-6").orElseThrow();
        assertTrue(second.claim("prune", "run-6").isEmpty(), "held by a live replica");
        assertTrue(second.claim("evaluate", "run-6").isPresent(), "another kind of work on the same run is free");
        claim.close();
        ArtifactStore.Claim taken = second.claim("prune", "run-6").orElseThrow();
        assertTrue(first.claim("prune", "run-6").isEmpty());
        // a holder that keeps beating keeps its claim however long its work takes
        for (int i = 0; i < 3; i++) {
            clock.advance(lease.dividedBy(2));
            second.renewHeartbeats();
            assertTrue(first.claim("prune", "run-6").isEmpty(), "taken from a live holder after " + (i + 1) + " half leases");
        }
        // the holder is SIGKILLed: its heartbeat stops, and once the lease has passed the claim is taken over
        clock.advance(lease);
        assertTrue(first.claim("prune", "run-6").isEmpty(), "a heartbeat exactly one lease old is still trusted");
        clock.advance(Duration.ofSeconds(1));
        ArtifactStore.Claim takenOver = first.claim("prune", "run-6").orElseThrow();
        taken.close(); // the old holder's release must not free the new holder's claim
        assertTrue(second.claim("prune", "run-6").isEmpty());
        takenOver.close();
        assertTrue(second.claim("prune", "run-6").isPresent(), "released by its holder: free at once");
        assertThrows(IllegalArgumentException.class, () -> first.resolve(ArtifactStore.CLAIMS + "/prune-run-6"));
    }
}
