package dev.prunelab.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.PowerSample;
import dev.prunelab.vocabulary.EnergySource;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** What a fake source reads. */
    interface Reading {
        OptionalDouble watts() throws IOException;
    }

    /** A source as the test names it, reading what {@code reading} gives. */
    record FakeSource(String device, EnergySource kind, String basis, Reading reading) implements PowerSource {
        @Override
        public OptionalDouble sampleWatts(Instant now) throws IOException {
            return reading.watts();
        }
    }

    /** 10 W more at every read, nothing on the first (as a counter source). */
    static PowerSource ramp() {
        AtomicInteger reads = new AtomicInteger();
        return new FakeSource("cpu/package-0", EnergySource.RAPL, "test ramp", () -> {
            int read = reads.getAndIncrement();
            return read == 0 ? OptionalDouble.empty() : OptionalDouble.of(10.0 * read);
        });
    }

    static final PowerSource BROKEN = new FakeSource("gpu0", EnergySource.NVML, "broken", () -> {
        throw new IOException("NVML nvmlDeviceGetTotalEnergyConsumption failed: GPU is lost (code 15)");
    });

    @Test
    void stampsSamplesWithTheClockAndHostAndSkipsAFailingSource() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-31T12:00:00Z"));
        Sampler sampler = new Sampler(List.of(ramp(), BROKEN), "lab-1", clock, Duration.ofSeconds(1));
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
            Sampler sampler = new Sampler(List.of(ramp()), "lab-1", Clock.systemUTC(), Duration.ofMillis(10));
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
