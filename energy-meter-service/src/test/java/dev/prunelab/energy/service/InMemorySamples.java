package dev.prunelab.energy.service;

import dev.prunelab.service.TestDirectories;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The sample channel on the in-memory connector, a fast interval and a fixed host name; and a machine the test
 * describes, not the one it runs on: no RAPL (a powercap directory that does not exist), no NVML, 2 cores, and a
 * /proc/stat fixture that moves only when the test calls {@link #advance}.
 */
public class InMemorySamples implements QuarkusTestResourceLifecycleManager {

    static final String HOST = "meter-test-host";
    static final int CORES = 2;
    /** One {@link #advance}: 100 jiffies per core, of which 60% busy (user) and 40% idle, on the aggregate line. */
    static final long BUSY_JIFFIES_PER_STEP = 120;
    static final long IDLE_JIFFIES_PER_STEP = 80;
    static final double UTILISATION = 0.6;

    private Path directory;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(InMemoryConnector.switchOutgoingChannelsToInMemory("power-sample"));
        config.put("prunelab.host", HOST);
        config.put("prunelab.energy.interval", "PT0.2S");
        directory = TestDirectories.create("energy-meter-machine-");
        config.putAll(describedMachine(directory));
        return config;
    }

    /** The settings of the described machine, its /proc/stat fixture written into {@code directory}. */
    static Map<String, String> describedMachine(Path directory) {
        Path procStat = directory.resolve("stat");
        try {
            write(procStat, 1_000, 5_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("prunelab.energy.nvml", "false",
                "prunelab.energy.cores", Integer.toString(CORES),
                "prunelab.energy.proc-stat", procStat.toString(),
                "prunelab.energy.powercap", directory.resolve("no-powercap").toString());
    }

    /** Moves the fixture's aggregate cpu line one step on, replacing the file at once (a reader sees either). */
    static void advance(Path procStat) {
        try {
            String[] f = Files.readString(procStat).lines().findFirst().orElseThrow().trim().split("\\s+");
            write(procStat, Long.parseLong(f[1]) + BUSY_JIFFIES_PER_STEP, Long.parseLong(f[4]) + IDLE_JIFFIES_PER_STEP);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path procStat, long userJiffies, long idleJiffies) throws IOException {
        Path next = Files.writeString(procStat.resolveSibling("stat.next"),
                "cpu  " + userJiffies + " 0 0 " + idleJiffies + " 0 0 0 0 0 0\nintr 0\n");
        Files.move(next, procStat, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary directory left behind is no failure of the service
            }
        }
    }
}
