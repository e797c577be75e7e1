package dev.prunelab.gateway.service;

import dev.prunelab.events.Event;
import dev.prunelab.events.PowerSample;
import dev.prunelab.gateway.RunState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway's meters, and its clock: every tick drops old power samples ({@link dev.prunelab.gateway.RunJoin#tick})
 * and counts runs by state, once the replay caught up.
 *
 * <p>{@code prunelab.runs.started|finished|failed} (tag service=gateway) count the runs this gateway saw requested,
 * completed and failed since it caught up (the replayed history is not counted again on each start); gauges
 * {@code prunelab.runs.in.flight}, {@code prunelab.sweeps.active}, {@code prunelab.searches.active} and
 * {@code prunelab.power.last.watts} (tags host, device).
 */
@ApplicationScoped
public class GatewayMetrics {

    static final String SERVICE = "gateway";

    @Inject
    GatewayState state;

    @Inject
    MeterRegistry registry;

    private Counter started;
    private Counter finished;
    private Counter failed;
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong sweepsActive = new AtomicLong();
    private final AtomicLong searchesActive = new AtomicLong();
    private final Map<String, AtomicReference<Double>> lastWatts = new ConcurrentHashMap<>();
    private Map<RunState, Integer> baseline; // counts when the replay caught up; null before

    @PostConstruct
    void register() {
        started = Counter.builder("prunelab.runs.started").tag("service", SERVICE)
                .description("runs requested, seen by the gateway since it caught up").register(registry);
        finished = Counter.builder("prunelab.runs.finished").tag("service", SERVICE)
                .description("runs completed with their joined results").register(registry);
        failed = Counter.builder("prunelab.runs.failed").tag("service", SERVICE)
                .description("runs failed or cancelled").register(registry);
        Gauge.builder("prunelab.runs.in.flight", inFlight, AtomicLong::get).tag("service", SERVICE)
                .description("runs requested and not yet completed or failed").register(registry);
        Gauge.builder("prunelab.sweeps.active", sweepsActive, AtomicLong::get).tag("service", SERVICE)
                .description("sweeps with a run not yet completed or failed").register(registry);
        Gauge.builder("prunelab.searches.active", searchesActive, AtomicLong::get).tag("service", SERVICE)
                .description("searches running or stopping (docs/search.md)").register(registry);
    }

    /** Called for every event applied to the state. */
    void eventAccepted(Event event) {
        if (event instanceof PowerSample sample) {
            lastWatts.computeIfAbsent(sample.key(), k -> {
                AtomicReference<Double> watts = new AtomicReference<>(0.0);
                Gauge.builder("prunelab.power.last.watts", watts, AtomicReference::get).tags("service", SERVICE,
                        "host", sample.host(), "device", sample.device())
                        .description("the last power sample seen per host and device").baseUnit("watts")
                        .register(registry);
                return watts;
            }).set(sample.watts());
        }
    }

    /** Called for an event ignored because its CloudEvents source does not own its type (a forgery). */
    void eventIgnored(Event event) {
        Counter.builder("prunelab.events.ignored").tags("service", SERVICE, "type", event.type())
                .description("events ignored because their CloudEvents source is not the service that owns their type")
                .register(registry).increment();
    }

    @Scheduled(every = "${prunelab.gateway.tick:2s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (!state.catchUp().caughtUp()) {
            return;
        }
        state.join().tick();
        Map<RunState, Integer> counts = state.join().counts();
        if (baseline == null) {
            baseline = counts;
        }
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        int baselineTotal = baseline.values().stream().mapToInt(Integer::intValue).sum();
        increment(started, total - baselineTotal);
        increment(finished, counts.get(RunState.COMPLETED) - baseline.get(RunState.COMPLETED));
        increment(failed, counts.get(RunState.FAILED) - baseline.get(RunState.FAILED));
        baseline = counts;
        inFlight.set(total - counts.get(RunState.COMPLETED) - counts.get(RunState.FAILED));
        sweepsActive.set(state.join().sweepIds().stream()
                .filter(id -> state.join().sweep(id).stream().anyMatch(r -> !r.state().isFinal())).count());
    }

    /** Set by {@link SearchAdvancer} from the steps it takes at each tick. */
    void searchesActive(long count) {
        searchesActive.set(count);
    }

    private static void increment(Counter counter, int by) {
        if (by > 0) {
            counter.increment(by);
        }
    }
}
