package dev.prunelab.energy.service;

import dev.prunelab.energy.PowerSource;
import dev.prunelab.energy.PowerSourceSelector;
import dev.prunelab.energy.Sampler;
import dev.prunelab.events.PowerSample;
import dev.prunelab.measure.PowerModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * On start, chooses this machine's power sources ({@link PowerSourceSelector}: RAPL, else the labelled
 * CPU-utilisation estimate; plus NVML's GPU counters) and samples them every interval, publishing each
 * {@link PowerSample} on prunelab.power.sample.
 *
 * <p>Ticks are driven here (one {@link Sampler#sampleOnce()} per interval on a single thread) rather than by
 * {@code Sampler.start}, so that a tick in which a source failed is known: liveness fails after
 * {@code prunelab.energy.max-failed-ticks} such ticks in a row.
 */
@ApplicationScoped
public class EnergyMeter {

    private static final Logger LOG = Logger.getLogger(EnergyMeter.class);

    @ConfigProperty(name = "prunelab.energy.interval", defaultValue = "PT1S")
    Duration interval;

    /** The estimate's per-core watts, as every service reads them. */
    @Inject
    PowerModel powerModel;

    @ConfigProperty(name = "prunelab.energy.nvml", defaultValue = "true")
    boolean nvml;

    @ConfigProperty(name = "prunelab.energy.powercap", defaultValue = "/sys/class/powercap")
    Path powercap;

    @ConfigProperty(name = "prunelab.energy.proc-stat", defaultValue = "/proc/stat")
    Path procStat;

    /** The estimate's core count; 0 = {@link Runtime#availableProcessors()} (a test pins it to its fixture's). */
    @ConfigProperty(name = "prunelab.energy.cores", defaultValue = "0")
    int cores;

    @ConfigProperty(name = "prunelab.energy.max-failed-ticks", defaultValue = "5")
    int maxFailedTicks;

    @ConfigProperty(name = "prunelab.host")
    Optional<String> configuredHost;

    @Inject
    PowerSamplePublisher publisher;

    @Inject
    MeterRegistry registry;

    private final Map<String, LastWatts> lastWatts = new ConcurrentHashMap<>();
    private volatile PowerSourceSelector.Selection selection;
    private volatile Sampler sampler;
    private volatile String host;
    private volatile int consecutiveFailedTicks;
    private volatile long ticks;
    private ScheduledExecutorService executor;
    private Counter published;
    private Counter samplingFailures;
    private Counter publishFailures;

    void onStart(@Observes StartupEvent startup) {
        host = configuredHost.filter(h -> !h.isBlank()).orElseGet(EnergyMeter::localHostName);
        published = Counter.builder("prunelab.power.samples.published").tag("host", host)
                .description("power samples the broker acknowledged on prunelab.power.sample").register(registry);
        samplingFailures = Counter.builder("prunelab.power.sampling.failures").tag("host", host)
                .description("sampling intervals that gave no power sample (a source failed to read)").register(registry);
        publishFailures = Counter.builder("prunelab.power.publish.failures").tag("host", host)
                .description("power samples that could not be published (the broker did not acknowledge them in time)")
                .register(registry);
        selection = new PowerSourceSelector(powercap, procStat, powerModel, estimateCores(cores),
                nvml ? PowerSourceSelector.Gpus.SYSTEM : null).select();
        selection.reasons().forEach(reason -> LOG.info("power source " + reason));
        List<PowerSource> sources = selection.sources();
        sampler = new Sampler(sources, host, Clock.systemUTC(), interval);
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "power-sampler");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        LOG.infof("sampling %d source(s) on host %s every %s", sources.size(), host, interval);
    }

    void onStop(@Observes ShutdownEvent shutdown) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** One interval: sample every source, publish each sample; never throws (that would end the schedule). */
    void tick() {
        try {
            long failuresBefore = sampler.failures();
            List<PowerSample> samples = sampler.sampleOnce();
            long failed = sampler.failures() - failuresBefore;
            if (failed > 0) {
                samplingFailures.increment(failed);
                consecutiveFailedTicks++;
                LOG.warnf("sampling failed (%d in a row): %s", consecutiveFailedTicks, sampler.lastFailure());
            } else {
                consecutiveFailedTicks = 0;
            }
            for (PowerSample sample : samples) {
                record(sample);
                publisher.publish(sample, published::increment, error -> {
                    publishFailures.increment();
                    LOG.warnf("power sample %s not published: %s", sample.key(), error.getMessage());
                });
            }
            ticks++;
        } catch (RuntimeException e) {
            consecutiveFailedTicks++;
            LOG.error("sampling tick failed", e);
        }
    }

    /** The gauge prunelab.power.watts{host, device, source} holds the last sample of each device. */
    private void record(PowerSample sample) {
        String key = sample.device() + "|" + sample.source().id();
        LastWatts last = lastWatts.computeIfAbsent(key, k -> {
            LastWatts created = new LastWatts();
            Gauge.builder("prunelab.power.watts", created, LastWatts::watts)
                    .tags("host", sample.host(), "device", sample.device(), "source", sample.source().id())
                    .description("the last power sample of the device")
                    .baseUnit("watts")
                    .register(registry);
            return created;
        });
        last.set(sample.watts());
    }

    /** One device's last sample, as its gauge reads it (the sampling thread writes, the scrape reads). */
    private static final class LastWatts {
        private volatile double watts;

        double watts() {
            return watts;
        }

        void set(double watts) {
            this.watts = watts;
        }
    }

    public boolean started() {
        return sampler != null;
    }

    public int consecutiveFailedTicks() {
        return consecutiveFailedTicks;
    }

    public int maxFailedTicks() {
        return maxFailedTicks;
    }

    public long ticks() {
        return ticks;
    }

    public String host() {
        return host;
    }

    public PowerSourceSelector.Selection selection() {
        return selection;
    }

    public String lastFailure() {
        return sampler == null ? null : sampler.lastFailure();
    }

    /** prunelab.energy.cores as the estimate takes it: 0 means every core this JVM may use. */
    static int estimateCores(int configured) {
        if (configured < 0) {
            throw new IllegalArgumentException("prunelab.energy.cores " + configured
                    + " must be 0 (every core) or a count of cores");
        }
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    /** Same default as the evaluator's measurement windows: {@code InetAddress.getLocalHost().getHostName()}. */
    static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
