package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaplPowerSourceTest {

    private static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    static Path zone(Path powercap, String dir, String name, long energy, long max) throws IOException {
        Path zone = Files.createDirectories(powercap.resolve(dir));
        Files.writeString(zone.resolve("name"), name + "\n");
        Files.writeString(zone.resolve("energy_uj"), energy + "\n");
        Files.writeString(zone.resolve("max_energy_range_uj"), max + "\n");
        return zone;
    }

    @Test
    void counterDifferenceAndWrapAround() {
        assertEquals(200e-6, RaplPowerSource.joulesBetween(100, 300, 1_000), 1e-15);
        // 900 J read, counter wrapped at 1000 J, now at 100 J: (1000 - 900) + 100 = 200 J.
        assertEquals(200.0, RaplPowerSource.joulesBetween(900_000_000L, 100_000_000L, 1_000_000_000L), 1e-9);
        assertEquals(0.0, RaplPowerSource.joulesBetween(5, 5, 10), 0);
    }

    @Test
    void readsPackageZonesOfAFakeSysfs(@TempDir Path powercap) throws IOException {
        Path pkg = zone(powercap, "intel-rapl:0", "package-0", 1_000_000_000L, 262_143_328_850L);
        zone(powercap, "intel-rapl:0:0", "core", 5, 262_143_328_850L);
        zone(powercap, "intel-rapl:1", "psys", 5, 262_143_328_850L);
        zone(powercap, "intel-rapl:2", "package-1", 5, 262_143_328_850L);
        List<Path> zones = RaplPowerSource.packageZones(powercap);
        assertEquals(List.of(pkg, powercap.resolve("intel-rapl:2")), zones);

        RaplPowerSource source = new RaplPowerSource(pkg);
        assertEquals("cpu/package-0", source.device());
        assertTrue(source.sampleWatts(T0).isEmpty(), "the first read only starts the interval");
        Files.writeString(pkg.resolve("energy_uj"), "1050000000\n"); // +50 J in 2 s
        assertEquals(25.0, source.sampleWatts(T0.plusSeconds(2)).getAsDouble(), 1e-9);
        // Wraps: 262143.32885 J range; from 1050 J to 30 J is (262143.32885 - 1050) + 30 J in 10 s.
        Files.writeString(pkg.resolve("energy_uj"), "30000000\n");
        assertEquals((262_143.328_850 - 1050 + 30) / 10, source.sampleWatts(T0.plusSeconds(12)).getAsDouble(), 1e-6);
    }

    @Test
    void noPowercapDirectoryMeansNoZones(@TempDir Path dir) throws IOException {
        assertTrue(RaplPowerSource.packageZones(dir.resolve("missing")).isEmpty());
    }
}
