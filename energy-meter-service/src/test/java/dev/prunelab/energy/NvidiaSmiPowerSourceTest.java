package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class NvidiaSmiPowerSourceTest {

    /**
     * The shape of {@code nvidia-smi --query-gpu=power.draw --format=csv,noheader,nounits} output on a two-GPU host
     * and on a board without a power sensor. Written from the documented format: no GPU was available to capture
     * real output when this was written; replace with a capture when one is.
     */
    static final String TWO_GPUS = "71.43\n254.12\n";
    static final String NO_SENSOR = "[N/A]\n";

    @Test
    void parsesOneReadingPerGpu() {
        assertEquals(List.of(OptionalDouble.of(71.43), OptionalDouble.of(254.12)), NvidiaSmiPowerSource.parse(TWO_GPUS));
        assertEquals(List.of(OptionalDouble.empty()), NvidiaSmiPowerSource.parse(NO_SENSOR));
        assertEquals(List.of(OptionalDouble.empty()), NvidiaSmiPowerSource.parse("[Not Supported]\r\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NvidiaSmiPowerSource.parse("71.0\nNVIDIA-SMI has failed\n"));
        assertEquals("nvidia-smi line 2 'NVIDIA-SMI has failed' is not a power reading in watts", e.getMessage());
    }

    @Test
    void queriesOneGpuById() throws IOException {
        NvidiaSmiPowerSource gpu1 = new NvidiaSmiPowerSource(command -> {
            assertEquals(List.of("nvidia-smi", "--id=1", "--query-gpu=power.draw", "--format=csv,noheader,nounits"), command);
            return "254.12\n";
        }, 1);
        assertEquals("gpu1", gpu1.device());
        assertEquals(254.12, gpu1.sampleWatts(Instant.EPOCH).getAsDouble(), 0);
        assertTrue(new NvidiaSmiPowerSource(c -> NO_SENSOR, 0).sampleWatts(Instant.EPOCH).isEmpty());
    }
}
