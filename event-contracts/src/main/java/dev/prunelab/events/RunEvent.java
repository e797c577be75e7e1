package dev.prunelab.events;

/** An event about one run, keyed on Kafka by its run id (so a run's events stay in order on one partition). */
public sealed interface RunEvent extends Event permits RunRequested, RunProgress, ModelPruned, ModelEvaluated,
        RunFailed {

    String runId();

    @Override
    default String key() {
        return runId();
    }
}
