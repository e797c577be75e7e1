package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * An event about one run, keyed on Kafka by its run id (so a run's events stay in order on one partition). Every
 * run event's JSON starts with the same four fields, which its records inherit: {@link CloudEvents#id} of a run
 * request finds occurredAt fourth.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public sealed interface RunEvent extends Event permits RunRequested, RunProgress, ModelPruned, ModelEvaluated,
        RunFailed {

    String runId();

    @Override
    default String key() {
        return runId();
    }
}
