package dev.prunelab.measure;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The CPU packages' RAPL energy counters under {@code /sys/class/powercap}: each top-level zone's
 * {@code energy_uj} counts microjoules and wraps to 0 after {@code max_energy_range_uj}. The counter sums every
 * package; a zone that went down between two reads wrapped once, (max - previous) + current.
 *
 * <p>A counter wraps after some minutes at full power (2^32 uJ is 4.3 kJ: 43 s at 100 W), so a daemon thread
 * reads it every {@value #POLL_SECONDS} s in between; a window of any length then sees every wrap.
 *
 * <p>Since Linux 5.10 {@code energy_uj} is readable by root only (the Platypus side channel): opening fails with
 * a message that says so and what to do.
 */
public final class RaplCounter implements EnergyCounter {

    public static final Path SYSFS = Path.of("/sys/class/powercap");
    static final long POLL_SECONDS = 5;

    private final List<Zone> zones;
    private final ScheduledExecutorService poller;
    private long accumulatedMicroJoules;
    private boolean closed;

    private static final class Zone {
        final Path energy;
        final long maxRange;
        long last;

        Zone(Path energy, long maxRange, long last) {
            this.energy = energy;
            this.maxRange = maxRange;
            this.last = last;
        }
    }

    private RaplCounter(List<Zone> zones, boolean poll) {
        this.zones = zones;
        if (poll) {
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "rapl-wrap-poller");
                thread.setDaemon(true);
                return thread;
            });
            poller.scheduleAtFixedRate(() -> {
                try {
                    joules();
                } catch (IOException | RuntimeException ignored) {
                    // the next read at a window's edge reports it
                }
            }, POLL_SECONDS, POLL_SECONDS, TimeUnit.SECONDS);
        } else {
            poller = null;
        }
    }

    /** Every package zone under {@code powercap}; fails naming the problem when there is none or one is unreadable. */
    public static RaplCounter open(Path powercap) throws IOException {
        return open(powercap, true);
    }

    static RaplCounter open(Path powercap, boolean poll) throws IOException {
        List<Path> zoneDirs = packageZones(powercap);
        if (zoneDirs.isEmpty()) {
            throw new IOException("no RAPL package zone under " + powercap + " (no intel-rapl:N directory)");
        }
        List<Zone> zones = new ArrayList<>();
        for (Path dir : zoneDirs) {
            zones.add(new Zone(dir.resolve("energy_uj"), readLong(dir.resolve("max_energy_range_uj")),
                    readLong(dir.resolve("energy_uj"))));
        }
        return new RaplCounter(List.copyOf(zones), poll);
    }

    /**
     * The top-level zones ({@code intel-rapl:N}; AMD's driver uses the same names) except {@code psys}, which
     * covers the whole platform and would count the packages twice. Sub-zones ({@code intel-rapl:0:0}, core or
     * dram) are parts of their package and are skipped too.
     */
    public static List<Path> packageZones(Path powercap) throws IOException {
        List<Path> zones = new ArrayList<>();
        if (!Files.isDirectory(powercap)) {
            return zones;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(powercap, "intel-rapl:*")) {
            for (Path entry : entries) {
                String fileName = entry.getFileName().toString();
                Path name = entry.resolve("name");
                boolean psys = Files.isReadable(name) && Files.readString(name).trim().equals("psys");
                if (fileName.matches("intel-rapl:\\d+") && !psys) {
                    zones.add(entry);
                }
            }
        }
        zones.sort(null);
        return zones;
    }

    /** Microjoules between two reads; when the counter went down it wrapped once. */
    public static long microJoulesBetween(long previous, long current, long maxEnergyRange) {
        return current >= previous ? current - previous : maxEnergyRange - previous + current;
    }

    @Override
    public synchronized double joules() throws IOException {
        for (Zone zone : zones) {
            long current = readLong(zone.energy);
            accumulatedMicroJoules += microJoulesBetween(zone.last, current, zone.maxRange);
            zone.last = current;
        }
        return accumulatedMicroJoules / 1e6;
    }

    @Override
    public String source() {
        return "rapl";
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public String basis() {
        return "RAPL energy counters " + zones.stream().map(z -> z.energy.toString()).toList()
                + " (every CPU package, read at the window's edges)";
    }

    @Override
    public Scope scope() {
        return Scope.HOST;
    }

    @Override
    public synchronized void close() {
        if (!closed && poller != null) {
            poller.shutdownNow();
        }
        closed = true;
    }

    static long readLong(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (AccessDeniedException e) {
            throw new IOException("RAPL counter " + file + " is not readable by this user: energy_uj is root-only "
                    + "since Linux 5.10 (the Platypus attack); run as root or grant read access (for example a udev "
                    + "rule or 'chmod a+r' on the intel-rapl energy_uj files)", e);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(file + " does not hold a counter (" + text.length() + " characters)", e);
        }
    }
}
