package dev.prunelab.deploycheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/jvm-huge-pages.sh, which ./lab, ./lab up and the container's entry point ask for the heap's huge-page
 * option: given in THP mode madvise only, and never over the user's own choice, so a JVM never warns on start (mode
 * never) and never gets the option twice. The kernel's mode is a file the test writes.
 */
class JvmHugePagesTest {
    private static final String OPTION = "-XX:+UseTransparentHugePages";

    @TempDir
    Path dir;

    @Test
    void givenOnlyWhereTheKernelHandsThemOutOnRequest() throws Exception {
        assertEquals(OPTION, run("always [madvise] never"));
        assertEquals("", run("[always] madvise never"), "mode always: the heap gets them without asking");
        assertEquals("", run("always madvise [never]"), "mode never: the JVM would warn on every start");
    }

    @Test
    void aKernelWithoutTransparentHugePagesGetsNothing() throws Exception {
        assertEquals("", runWithModeFile(dir.resolve("absent")));
    }

    @Test
    void theUsersOwnChoiceWins() throws Exception {
        assertEquals("", run("always [madvise] never", "-Xmx2g", "-XX:-UseTransparentHugePages"));
        assertEquals("", run("always [madvise] never", "-XX:+UseLargePages"));
        assertEquals(OPTION, run("always [madvise] never", "-Xmx2g", "-XX:MaxRAMPercentage=75"));
    }

    private String run(String mode, String... options) throws IOException, InterruptedException {
        Path file = dir.resolve("enabled");
        Files.writeString(file, mode + "\n");
        return runWithModeFile(file, options);
    }

    private static String runWithModeFile(Path file, String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", Renders.repo().resolve("deploy/jvm-huge-pages.sh").toString()));
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("THP_ENABLED_FILE", file.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, process.waitFor(), output);
        return output;
    }
}
