package dev.prunelab.pruner.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * {@code prunelab.runs.started|finished|failed} (tag service) and {@code prunelab.stage.duration} (tags
 * service, stage), as every service of the pipeline names them. The counters exist from start-up, at 0.
 */
@Startup
@ApplicationScoped
public class PrunerMetrics {
    static final String SERVICE = "pruner-service";

    @Inject
    MeterRegistry registry;

    private Counter started;
    private Counter finished;
    private Counter failed;

    @PostConstruct
    void register() {
        started = Counter.builder("prunelab.runs.started").tag("service", SERVICE)
                .description("runs whose pruning started").register(registry);
        finished = Counter.builder("prunelab.runs.finished").tag("service", SERVICE)
                .description("runs whose pruned model was published").register(registry);
        failed = Counter.builder("prunelab.runs.failed").tag("service", SERVICE)
                .description("runs and inputs that ended in run.failed (the dead letters included)").register(registry);
    }

    void started() {
        started.increment();
    }

    void finished() {
        finished.increment();
    }

    void failed() {
        failed.increment();
    }

    void stage(String stage, Duration duration) {
        Timer.builder("prunelab.stage.duration").tag("service", SERVICE).tag("stage", stage)
                .description("wall-clock time of each pruning stage").register(registry).record(duration);
    }
}
