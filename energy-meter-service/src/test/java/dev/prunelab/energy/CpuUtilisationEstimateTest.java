package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.PowerModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuUtilisationEstimateTest {

    /** The head of this machine's /proc/stat, captured. */
    static final String BEFORE = """
            cpu  491105 0 41495 6730706 1096 0 143 1819 0 0
            cpu0 242131 0 22907 3367048 192 0 46 934 0 0
            cpu1 248974 0 18588 3363658 903 0 97 884 0 0
            intr 123456 0 0
            """;
    /** 1000 jiffies later: user +300, system +100, idle +500, iowait +100; guest +7 is inside user. */
    static final String AFTER = """
            cpu  491405 0 41595 6731206 1196 0 143 1819 7 0
            cpu0 242281 0 22957 3367298 242 0 46 934 0 0
            """;

    @Test
    void parsesTheAggregateLine() {
        HostCpu.Times t = HostCpu.parse(BEFORE);
        assertEquals(6730706 + 1096, t.idle());
        assertEquals(491105 + 41495 + 6730706 + 1096 + 143 + 1819, t.total());
        assertThrows(IllegalArgumentException.class, () -> HostCpu.parse("intr 1 2 3\n"));
    }

    @Test
    void utilisationIsOneMinusIdleShare() {
        var before = HostCpu.parse(BEFORE);
        var after = HostCpu.parse(AFTER);
        assertEquals(1000, after.total() - before.total());
        assertEquals(0.4, HostCpu.utilisation(before, after), 1e-12); // 1 - 600/1000
        assertEquals(0.0, HostCpu.utilisation(before, before), 0);
    }

    @Test
    void estimatesWattsPerCoreFromIdleToFull(@TempDir Path dir) throws IOException {
        Path stat = Files.writeString(dir.resolve("stat"), BEFORE);
        CpuUtilisationEstimate estimate = new CpuUtilisationEstimate(stat, PowerModel.CCF_AWS, 2);
        assertEquals(EnergySource.ESTIMATE, estimate.kind());
        assertTrue(estimate.basis().contains("2 cores x (0.74 W + CPU utilisation") && estimate.basis()
                .contains("Cloud Carbon Footprint"), estimate.basis());
        Instant t = Instant.parse("2026-01-31T12:00:00Z");
        assertTrue(estimate.sampleWatts(t).isEmpty());
        Files.writeString(stat, AFTER);
        // 2 cores x (0.74 + 0.4 x 2.76) W: a 40% busy host, never the TDP's flat line
        assertEquals(2 * (0.74 + 0.4 * 2.76), estimate.sampleWatts(t.plusSeconds(10)).getAsDouble(), 1e-9);
        assertTrue(estimate.sampleWatts(t.plusSeconds(20)).isEmpty(), "no jiffies passed");
    }

    @Test
    void readsTheAggregateLineOfAProcStatFile(@TempDir Path dir) throws IOException {
        Path stat = Files.writeString(dir.resolve("stat"), BEFORE);
        assertEquals(HostCpu.parse(BEFORE), HostCpu.read(stat));
        assertThrows(IOException.class, () -> HostCpu.read(dir.resolve("missing")));
    }
}
