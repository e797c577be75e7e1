package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
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
            assertEquals("'" + reference + "' is outside the artifact store " + store.root(), e.getMessage());
        }
        Files.createSymbolicLink(store.root().resolve("link"), dir);
        assertEquals("'link/secret.txt' is outside the artifact store " + store.root(),
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
        store.stage("run-3");
        assertEquals(2, store.removeAbandoned());
        try (var left = Files.list(store.root())) {
            assertEquals(0, left.count());
        }
    }
}
