package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerSourceSelectorTest {

    @Test
    void picksRaplWhenReadable(@TempDir Path dir) throws IOException {
        RaplPowerSourceTest.zone(dir, "intel-rapl:0", "package-0", 1, 1000);
        var selection = new PowerSourceSelector(dir, dir.resolve("stat"), 65, null).select();
        assertEquals(1, selection.sources().size());
        assertInstanceOf(RaplPowerSource.class, selection.sources().get(0));
        assertTrue(selection.reasons().get(0).startsWith("cpu: RAPL, 1 package zone(s) readable"), selection.reasons().toString());
    }

    @Test
    void fallsBackToTheEstimateWithoutRapl(@TempDir Path dir) {
        var selection = new PowerSourceSelector(dir.resolve("powercap"), dir.resolve("stat"), 65, null).select();
        assertInstanceOf(CpuUtilisationEstimate.class, selection.sources().get(0));
        assertTrue(selection.reasons().get(0).startsWith("cpu: estimate, because no RAPL package zone under "),
                selection.reasons().toString());
    }

    @Test
    void fallsBackWhenTheCounterCannotBeRead(@TempDir Path dir) throws IOException {
        Path zone = RaplPowerSourceTest.zone(dir, "intel-rapl:0", "package-0", 1, 1000);
        // Stands in for a root-only energy_uj (the tests may run as root, who reads any mode).
        Files.delete(zone.resolve("energy_uj"));
        Files.createDirectory(zone.resolve("energy_uj"));
        var selection = new PowerSourceSelector(dir, dir.resolve("stat"), 65, null).select();
        assertInstanceOf(CpuUtilisationEstimate.class, selection.sources().get(0));
        assertTrue(selection.reasons().get(0).contains("RAPL is not readable"), selection.reasons().toString());
    }

    @Test
    void addsGpusThatReportPowerAndSaysWhenThereAreNone(@TempDir Path dir) {
        var gpus = new PowerSourceSelector(dir, dir.resolve("stat"), 65, c -> "71.43\n[N/A]\n").select();
        assertEquals(2, gpus.sources().size());
        assertEquals("gpu0", gpus.sources().get(1).device());
        assertEquals("gpu: nvidia-smi lists 2 GPU(s), 1 report power.draw", gpus.reasons().get(1));

        var none = new PowerSourceSelector(dir, dir.resolve("stat"), 65, c -> {
            throw new IOException("Cannot run program \"nvidia-smi\"");
        }).select();
        assertEquals(1, none.sources().size());
        assertTrue(none.reasons().get(1).startsWith("gpu: none sampled, nvidia-smi failed"), none.reasons().toString());
    }
}
