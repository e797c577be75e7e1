package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.PowerSample;
import dev.prunelab.vocabulary.EnergySource;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SamplerTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** 10 W more at every read, nothing on the first (as a counter source). */
    static final class Ramp implements PowerSource {
        int reads;

        @Override
        public String device() {
            return "cpu/package-0";
        }

        @Override
        public EnergySource kind() {
            return EnergySource.RAPL;
        }

        @Override
        public String basis() {
            return "test ramp";
        }

        @Override
        public OptionalDouble sampleWatts(Instant now) {
            int read = reads++;
            return read == 0 ? OptionalDouble.empty() : OptionalDouble.of(10.0 * read);
        }
    }

    static final PowerSource BROKEN = new PowerSource() {
        @Override
        public String device() {
            return "gpu0";
        }

        @Override
        public EnergySource kind() {
            return EnergySource.NVML;
        }

        @Override
        public String basis() {
            return "broken";
        }

        @Override
        public OptionalDouble sampleWatts(Instant now) throws IOException {
            throw new IOException("NVML nvmlDeviceGetTotalEnergyConsumption failed: GPU is lost (code 15)");
        }
    };

    @Test
    void stampsSamplesWithTheClockAndHostAndSkipsAFailingSource() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-31T12:00:00Z"));
        Sampler sampler = new Sampler(List.of(new Ramp(), BROKEN), "lab-1", clock, Duration.ofSeconds(1));
        assertTrue(sampler.sampleOnce().isEmpty());
        clock.now = clock.now.plusSeconds(1);
        List<PowerSample> samples = sampler.sampleOnce();
        assertEquals(List.of(new PowerSample(clock.now, "lab-1", "cpu/package-0", 10.0, EnergySource.RAPL, "test ramp")),
                samples);
        assertEquals(2, sampler.failures());
        assertEquals("gpu0: NVML nvmlDeviceGetTotalEnergyConsumption failed: GPU is lost (code 15)", sampler.lastFailure());
    }

    @Test
    void samplesAtAFixedRateUntilClosed() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            Sampler sampler = new Sampler(List.of(new Ramp()), "lab-1", Clock.systemUTC(), Duration.ofMillis(10));
            List<PowerSample> seen = new CopyOnWriteArrayList<>();
            CountDownLatch three = new CountDownLatch(3);
            AutoCloseable running = sampler.start(executor, s -> {
                seen.add(s);
                three.countDown();
            });
            assertTrue(three.await(120, TimeUnit.SECONDS), "three samples did not arrive within 120 s");
            running.close();
            assertEquals(List.of(10.0, 20.0, 30.0), seen.subList(0, 3).stream().map(PowerSample::watts).toList());
        } finally {
            executor.shutdownNow();
        }
    }
}
