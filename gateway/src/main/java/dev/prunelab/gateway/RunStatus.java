package dev.prunelab.gateway;

import dev.prunelab.vocabulary.RunStage;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.SweepCancelled;

/**
 * A run's status as users see it, derived from its {@link RunState} and latest {@link RunProgress}:
 * queued (requested, no progress yet), pruning, evaluating (pruned), done, failed, cancelled (skipped because its sweep was cancelled). The last three are final.
 */
public enum RunStatus {
    QUEUED("queued"),
    PRUNING("pruning"),
    EVALUATING("evaluating"),
    DONE("done"),
    FAILED("failed"),
    CANCELLED("cancelled");


    private final String id;

    RunStatus(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    @JsonCreator
    public static RunStatus of(String id) {
        for (RunStatus s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown run status '" + id + "'");
    }

    public boolean isFinal() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }

    public static RunStatus of(RunResult run) {
        return switch (run.state()) {
            case COMPLETED -> DONE;
            case FAILED -> run.failure().stage() == RunStage.CANCELLED ? CANCELLED : FAILED;
            case PRUNED -> EVALUATING;
            case REQUESTED -> run.progress() == null ? QUEUED
                    : run.progress().stage().owner() == RunStage.Owner.EVALUATOR ? EVALUATING : PRUNING;
        };
    }
}
