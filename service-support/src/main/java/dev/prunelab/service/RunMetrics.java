package dev.prunelab.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * {@code prunelab.runs.started|finished|failed} (tag service) and {@code prunelab.stage.duration} (tags service,
 * stage), as the pruner and the evaluator name them. The counters exist from start-up, at 0.
 */
public final class RunMetrics {
    private final MeterRegistry registry;
    private final String service;
    private final Counter started;
    private final Counter finished;
    private final Counter failed;

    public RunMetrics(MeterRegistry registry, String service) {
        this.registry = registry;
        this.service = service;
        started = Counter.builder("prunelab.runs.started").tag("service", service)
                .description("runs whose work in this service started").register(registry);
        finished = Counter.builder("prunelab.runs.finished").tag("service", service)
                .description("runs whose result this service published").register(registry);
        failed = Counter.builder("prunelab.runs.failed").tag("service", service)
                .description("runs and inputs that ended in run.failed here, dead letters included")
                .register(registry);
    }

    public void started() {
        started.increment();
    }

    public void finished() {
        finished.increment();
    }

    public void failed() {
        failed.increment();
    }

    /** Wall-clock time a run spent in one stage of this service. */
    public void stage(String stage, Duration duration) {
        Timer.builder("prunelab.stage.duration").tag("service", service).tag("stage", stage)
                .description("wall-clock time a run spent in each stage of this service").register(registry)
                .record(duration);
    }
}
