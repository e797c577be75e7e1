package dev.prunelab.events;

import java.util.List;
import java.util.Map;

/**
 * Every Kafka topic of the pipeline, in one place. Each topic carries one event type, keyed by
 * {@link Event#key()} (the run id; host/device for power samples). Quarkus services map their channels to
 * these names in {@code application.properties}.
 */
public final class Topics {

    public static final String RUN_REQUESTED = "prunelab.run.requested";
    public static final String RUN_PROGRESS = "prunelab.run.progress";
    public static final String MODEL_PRUNED = "prunelab.model.pruned";
    public static final String MODEL_EVALUATED = "prunelab.model.evaluated";
    public static final String POWER_SAMPLE = "prunelab.power.sample";
    /** Failures of a run and the dead letters: input that could not be parsed or validated, with its reason. */
    public static final String RUN_FAILED = "prunelab.run.failed";
    /** Cancelled sweeps, keyed by sweep id (compacted: the last word on each sweep is kept). */
    public static final String SWEEP_CANCELLED = "prunelab.sweep.cancelled";
    /** Accepted searches, keyed by search id (compacted): what a restarted gateway resumes them from. */
    public static final String SEARCH_REQUESTED = "prunelab.search.requested";

    public static final List<String> ALL =
            List.of(RUN_REQUESTED, RUN_PROGRESS, MODEL_PRUNED, MODEL_EVALUATED, POWER_SAMPLE, RUN_FAILED, SWEEP_CANCELLED,
                    SEARCH_REQUESTED);

    private static final Map<String, String> BY_TYPE = Map.of(
            RunRequested.TYPE, RUN_REQUESTED,
            RunProgress.TYPE, RUN_PROGRESS,
            ModelPruned.TYPE, MODEL_PRUNED,
            ModelEvaluated.TYPE, MODEL_EVALUATED,
            PowerSample.TYPE, POWER_SAMPLE,
            RunFailed.TYPE, RUN_FAILED,
            SweepCancelled.TYPE, SWEEP_CANCELLED,
            SearchRequested.TYPE, SEARCH_REQUESTED);

    private Topics() {
    }

    /** The topic an event belongs on. */
    public static String of(Event event) {
        return BY_TYPE.get(event.type());
    }
}
