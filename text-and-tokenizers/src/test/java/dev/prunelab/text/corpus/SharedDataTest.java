package dev.prunelab.text.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedDataTest {

    @Test
    void rootHoldsTheShippedFiles() {
        assertTrue(Files.isRegularFile(SharedData.root().resolve("SOURCES.md")));
        assertTrue(Files.isRegularFile(SharedData.path("models/stories260K/tok512.bin")));
    }

    @Test
    void withoutTheVariableTheAncestorsAreSearched(@TempDir Path x) throws IOException {
        Path data = Files.createDirectories(x.resolve("shared/data"));
        Path deep = Files.createDirectories(x.resolve("main/evaluator-service/target"));
        assertEquals(data, SharedData.root(null, deep));
        assertEquals(data, SharedData.root("  ", deep));
    }

    @Test
    void missingFolderIsAnErrorSayingWhatWasTried(@TempDir Path x) {
        // Start at the file-system root: any real directory may have a shared/data ancestor (here /tmp has one).
        Path deep = x.getRoot();
        assumeFalse(Files.isDirectory(deep.resolve("shared/data")), "this machine has /shared/data");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedData.root(null, deep));
        assertTrue(e.getMessage().contains(SharedData.ENV) && e.getMessage().contains(deep.toString()),
                e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> SharedData.root(x.resolve("nope").toString(), deep));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void missingOrEscapingPathsAreErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedData.path("text/no-such-file.txt"));
        assertTrue(e.getMessage().contains("no-such-file.txt") && e.getMessage().contains("does not exist"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SharedData.path("../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> SharedData.path(""));
    }
}
