package dev.prunelab.service;

import dev.prunelab.vocabulary.RunStage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code prunelab.runs.started|finished} (tag service), {@code prunelab.runs.failed} (tags service, stage: where the
 * run failed, {@code decode} for a dead letter, {@code cancelled} for a run its sweep's cancellation skipped) and
 * {@code prunelab.stage.duration} (tags service, stage), as the pruner and the evaluator name them; exported as
 * {@code prunelab_runs_started_total}, {@code prunelab_runs_finished_total}, {@code prunelab_runs_failed_total} and
 * {@code prunelab_stage_duration_seconds}. The counters exist from start-up, at 0 (the failed counter for every
 * stage the service can fail at).
 */
public final class RunMetrics {
    private final MeterRegistry registry;
    private final String service;
    private final Counter started;
    private final Counter finished;
    private final Map<RunStage, Counter> failed = new ConcurrentHashMap<>();

    /** @param owner the stages this service owns; with {@link RunStage.Owner#ANY}'s, their failed counters start at 0 */
    public RunMetrics(MeterRegistry registry, String service, RunStage.Owner owner) {
        this.registry = registry;
        this.service = service;
        started = Counter.builder("prunelab.runs.started").tag("service", service)
                .description("runs whose work in this service started").register(registry);
        finished = Counter.builder("prunelab.runs.finished").tag("service", service)
                .description("runs whose result this service published").register(registry);
        for (RunStage stage : RunStage.values()) {
            if (stage.owner() == RunStage.Owner.ANY || stage.owner() == owner) {
                failedCounter(stage);
            }
        }
    }

    private Counter failedCounter(RunStage stage) {
        return failed.computeIfAbsent(stage, s -> Counter.builder("prunelab.runs.failed").tag("service", service)
                .tag("stage", s.id())
                .description("runs and inputs that ended in run.failed here, by the stage they failed at "
                        + "(decode: dead letters)")
                .register(registry));
    }

    public void started() {
        started.increment();
    }

    public void finished() {
        finished.increment();
    }

    /** A run.failed this service published, at its stage. */
    public void failed(RunStage stage) {
        failedCounter(stage).increment();
    }

    /** Wall-clock time a run spent in one stage of this service. */
    public void stage(String stage, Duration duration) {
        Timer.builder("prunelab.stage.duration").tag("service", service).tag("stage", stage)
                .description("wall-clock time a run spent in each stage of this service").register(registry)
                .record(duration);
    }
}
