package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.PowerModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerSourceSelectorTest {

    static Path zone(Path powercap, String dir, String name, long energy, long max) throws IOException {
        Path zone = Files.createDirectories(powercap.resolve(dir));
        Files.writeString(zone.resolve("name"), name + "\n");
        Files.writeString(zone.resolve("energy_uj"), energy + "\n");
        Files.writeString(zone.resolve("max_energy_range_uj"), max + "\n");
        return zone;
    }

    private static PowerSourceSelector selector(Path powercap, Path stat, PowerSourceSelector.Gpus gpus) {
        return new PowerSourceSelector(powercap, stat, PowerModel.CCF_AWS, 2, gpus);
    }

    @Test
    void picksRaplWhenReadableAndReadsItsCounterAsPower(@TempDir Path dir) throws IOException {
        Path zone = zone(dir, "intel-rapl:0", "package-0", 1_000_000, 1_000_000_000);
        var selection = selector(dir, dir.resolve("stat"), null).select();
        assertEquals(1, selection.sources().size());
        PowerSource rapl = selection.sources().get(0);
        assertInstanceOf(CounterPowerSource.class, rapl);
        assertEquals(EnergySource.RAPL, rapl.kind());
        assertTrue(selection.reasons().get(0).startsWith("cpu: RAPL energy counters"), selection.reasons().toString());
        Instant t = Instant.parse("2026-01-31T12:00:00Z");
        assertTrue(rapl.sampleWatts(t).isEmpty(), "the first tick starts the interval");
        Files.writeString(zone.resolve("energy_uj"), "21000000\n");
        assertEquals(10.0, rapl.sampleWatts(t.plusSeconds(2)).getAsDouble(), 1e-9, "20 J in 2 s");
    }

    @Test
    void fallsBackToTheEstimateWithoutRapl(@TempDir Path dir) {
        var selection = selector(dir.resolve("powercap"), dir.resolve("stat"), null).select();
        assertInstanceOf(CpuUtilisationEstimate.class, selection.sources().get(0));
        assertTrue(selection.reasons().get(0).startsWith("cpu: estimate, because no RAPL package zone under "),
                selection.reasons().toString());
    }

    @Test
    void fallsBackWhenTheCounterCannotBeRead(@TempDir Path dir) throws IOException {
        Path zone = zone(dir, "intel-rapl:0", "package-0", 1, 1000);
        Files.writeString(zone.resolve("energy_uj"), "not a counter\n");
        var selection = selector(dir, dir.resolve("stat"), null).select();
        assertInstanceOf(CpuUtilisationEstimate.class, selection.sources().get(0));
        assertTrue(selection.reasons().get(0).contains("does not hold a counter"), selection.reasons().toString());
    }

    @Test
    void saysWhenThereIsNoGpu(@TempDir Path dir) {
        var none = selector(dir, dir.resolve("stat"), () -> {
            throw new IOException("NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)");
        }).select();
        assertEquals(1, none.sources().size());
        assertTrue(none.reasons().get(1).startsWith("gpu: none sampled (NVML is not available"), none.reasons().toString());
        var empty = selector(dir, dir.resolve("stat"), List::of).select();
        assertEquals("gpu: NVML energy counters of 0 GPU(s)", empty.reasons().get(1));
    }
}
