package dev.prunelab.gateway;

/**
 * Where a run is: requested → pruned → completed (evaluated, its energy measured inside), or failed from any of
 * them. COMPLETED and FAILED are final.
 */
public enum RunState {
    REQUESTED,
    PRUNED,
    COMPLETED,
    FAILED;

    public boolean isFinal() {
        return this == COMPLETED || this == FAILED;
    }
}
