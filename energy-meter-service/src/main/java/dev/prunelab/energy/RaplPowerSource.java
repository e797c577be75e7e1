package dev.prunelab.energy;

import dev.prunelab.events.PowerSourceKind;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A RAPL package zone under {@code /sys/class/powercap}: {@code energy_uj} is a cumulative energy counter in
 * microjoules that wraps to 0 after {@code max_energy_range_uj}; power = Δenergy / Δtime between two reads.
 *
 * <p>Since Linux 5.10 {@code energy_uj} is readable by root only (the Platypus side channel);
 * {@link PowerSourceSelector} tries a read and falls back to an estimate when it fails.
 */
public final class RaplPowerSource implements PowerSource {

    public static final Path SYSFS = Path.of("/sys/class/powercap");

    private final Path zone;
    private final String device;
    private final long maxEnergyRangeMicroJoules;
    private long previousMicroJoules = -1;
    private Instant previousAt;

    /** Reads {@code max_energy_range_uj} and the zone's name; fails when the zone cannot be read. */
    public RaplPowerSource(Path zone) throws IOException {
        this.zone = zone;
        this.maxEnergyRangeMicroJoules = readLong(zone.resolve("max_energy_range_uj"));
        Path name = zone.resolve("name");
        this.device = "cpu/" + (Files.isReadable(name) ? Files.readString(name).trim() : zone.getFileName().toString());
        readLong(zone.resolve("energy_uj"));
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

    /**
     * Joules between two counter reads; when the counter went down it wrapped once: (max − previous) + current.
     */
    public static double joulesBetween(long previousMicroJoules, long currentMicroJoules, long maxEnergyRangeMicroJoules) {
        long delta = currentMicroJoules >= previousMicroJoules
                ? currentMicroJoules - previousMicroJoules
                : maxEnergyRangeMicroJoules - previousMicroJoules + currentMicroJoules;
        return delta / 1e6;
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public PowerSourceKind kind() {
        return PowerSourceKind.RAPL;
    }

    @Override
    public String basis() {
        return "RAPL energy counter " + zone.resolve("energy_uj") + " (Δenergy / Δtime)";
    }

    @Override
    public synchronized OptionalDouble sampleWatts(Instant now) throws IOException {
        long current = readLong(zone.resolve("energy_uj"));
        long previous = previousMicroJoules;
        Instant previousTime = previousAt;
        previousMicroJoules = current;
        previousAt = now;
        if (previous < 0) {
            return OptionalDouble.empty();
        }
        double seconds = Duration.between(previousTime, now).toNanos() / 1e9;
        if (seconds <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(joulesBetween(previous, current, maxEnergyRangeMicroJoules) / seconds);
    }

    private static long readLong(Path file) throws IOException {
        String text = Files.readString(file).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(file + " holds '" + text + "', not a counter", e);
        }
    }
}
