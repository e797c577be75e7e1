package dev.prunelab.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputRootsTest {
    @TempDir
    Path dir;
    Path models;
    Path data;
    Path secret;
    InputRoots roots;

    @BeforeEach
    void roots() throws Exception {
        models = Files.createDirectories(dir.resolve("models"));
        data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(Files.createDirectories(models.resolve("tiny")).resolve("model.bin"), "weights");
        secret = Files.writeString(dir.resolve("secret.txt"), "root:x:0:0");
        roots = InputRoots.of(models.toString(), data + "," + dir.resolve("absent"), Optional.of(dir.resolve("store")));
    }

    @Test
    void aFileInsideARootIsNamedRelativeToIt() {
        InputRoots.Confined model = roots.resolve("model.path", models.resolve("tiny/model.bin").toString());
        assertTrue(model.exists());
        assertEquals("models:tiny/model.bin", model.display());
        // a file: URI and a path with ".." that stays inside are the same file
        assertEquals(model.path(), roots.resolve("model.path", models.resolve("tiny/model.bin").toUri().toString()).path());
        assertEquals(model.path(), roots.resolve("model.path", models + "/tiny/../tiny/model.bin").path());
        InputRoots.Confined missing = roots.resolve("calibration.text", data.resolve("nope.txt").toString());
        assertFalse(missing.exists());
        assertEquals("data:nope.txt", missing.display());
    }

    @Test
    void everythingElseIsRefusedAlikeWhetherOrNotItExists() throws Exception {
        String expected = "model.path: is outside the directories this lab reads from (models, data)";
        Files.createSymbolicLink(models.resolve("escape"), dir);
        for (String reference : new String[] {"/etc/passwd", "/proc/self/environ", "/", secret.toString(),
                secret.toUri().toString(), models + "/../secret.txt", models + "/../../../etc/shadow",
                models + "/escape/secret.txt", "/no/such/file.bin", models.toString(), dir.resolve("absent/x").toString()}) {
            InvalidSetting refused = assertThrows(InvalidSetting.class, () -> roots.resolve("model.path", reference),
                    reference);
            assertEquals(expected, refused.getMessage(), reference);
        }
        assertEquals("model.path: must be an absolute path or a file: URI",
                assertThrows(InvalidSetting.class, () -> roots.resolve("model.path", "../../etc/passwd")).getMessage());
        assertEquals("model.path: must be a path or a file: URI",
                assertThrows(InvalidSetting.class, () -> roots.resolve("model.path", "s3://bucket/m")).getMessage());
        assertEquals("model.path: is not a valid path or file: URI",
                assertThrows(InvalidSetting.class, () -> roots.resolve("model.path", "file:relative")).getMessage());
    }

    @Test
    void aLinkInsideARootThatStaysInsideIsFollowed() throws Exception {
        Files.createSymbolicLink(data.resolve("model-link.bin"), models.resolve("tiny/model.bin"));
        assertEquals("models:tiny/model.bin", roots.resolve("model.path", data + "/model-link.bin").display());
    }

    @Test
    void noRootsConfiguredReadsNothing() {
        InputRoots none = InputRoots.of(null, "", Optional.empty());
        assertEquals("model.path: is outside the directories this lab reads from (none configured)",
                assertThrows(InvalidSetting.class, () -> none.resolve("model.path", secret.toString())).getMessage());
    }

    @Test
    void messagesLeavingAServiceNameRootsNotServerPaths() throws Exception {
        String reason = models.toRealPath() + "/tiny/model.bin: truncated, and " + data.toRealPath().toUri() + "x.txt";
        assertEquals("models:tiny/model.bin: truncated, and data:x.txt", roots.redact(reason));
    }
}
