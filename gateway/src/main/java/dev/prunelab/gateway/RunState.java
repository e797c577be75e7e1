package dev.prunelab.gateway;

/**
 * Where a run is: requested → pruned → evaluated → completed (energy attributed), or failed from any of them.
 * COMPLETED and FAILED are final.
 */
public enum RunState {
    REQUESTED,
    PRUNED,
    EVALUATED,
    COMPLETED,
    FAILED;

    public boolean isFinal() {
        return this == COMPLETED || this == FAILED;
    }
}
