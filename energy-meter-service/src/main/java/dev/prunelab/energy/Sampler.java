package dev.prunelab.energy;

import dev.prunelab.events.PowerSample;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Samples every source at a fixed interval into {@link PowerSample} events stamped with the clock's time and
 * this host. A source that fails is skipped for that tick and counted; the others still publish.
 */
public final class Sampler {

    private final List<PowerSource> sources;
    private final String host;
    private final Clock clock;
    private final Duration interval;
    private long failures;
    private String lastFailure;

    public Sampler(List<PowerSource> sources, String host, Clock clock, Duration interval) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("the sampler needs at least one power source");
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the sampler needs a host name, got '" + host + "'");
        }
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval " + interval + " must be positive");
        }
        this.sources = List.copyOf(sources);
        this.host = host;
        this.clock = clock;
        this.interval = interval;
    }

    /** One tick: a sample per source that has a reading (counter sources have none on their first tick). */
    public synchronized List<PowerSample> sampleOnce() {
        Instant now = clock.instant();
        List<PowerSample> samples = new ArrayList<>();
        for (PowerSource source : sources) {
            try {
                OptionalDouble watts = source.sampleWatts(now);
                if (watts.isPresent()) {
                    samples.add(new PowerSample(now, host, source.device(), watts.getAsDouble(), source.kind(),
                            source.basis()));
                }
            } catch (IOException | RuntimeException e) {
                failures++;
                lastFailure = source.device() + ": " + e.getMessage();
            }
        }
        return samples;
    }

    /**
     * Samples now (starting the counters' intervals) and then every interval on {@code executor}, handing each
     * sample to {@code sink}. Closing the handle stops the schedule; the executor stays the caller's.
     */
    public AutoCloseable start(ScheduledExecutorService executor, Consumer<PowerSample> sink) {
        long nanos = interval.toNanos();
        // A task that throws is never run again by scheduleAtFixedRate, so a failing sink is counted, not thrown.
        ScheduledFuture<?> future = executor.scheduleAtFixedRate(() -> {
            for (PowerSample sample : sampleOnce()) {
                try {
                    sink.accept(sample);
                } catch (RuntimeException e) {
                    synchronized (this) {
                        failures++;
                        lastFailure = "sink: " + e.getMessage();
                    }
                }
            }
        }, 0, nanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    public synchronized long failures() {
        return failures;
    }

    /** The latest failure, "device: message", or null. */
    public synchronized String lastFailure() {
        return lastFailure;
    }

    public Duration interval() {
        return interval;
    }
}
