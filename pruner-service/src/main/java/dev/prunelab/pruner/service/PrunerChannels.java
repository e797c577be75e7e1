package dev.prunelab.pruner.service;

/** The service's channels; application.properties maps each to its topic in {@code Topics}. */
final class PrunerChannels {
    static final String RUN_REQUESTED = "run-requested";
    static final String SWEEP_CANCELLED = "sweep-cancelled";
    static final String RUN_PROGRESS = "run-progress";
    static final String MODEL_PRUNED = "model-pruned";
    static final String RUN_FAILED = "run-failed";

    private PrunerChannels() {
    }
}
