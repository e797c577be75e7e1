package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * The pruned model was evaluated (topic {@value Topics#MODEL_EVALUATED}).
 *
 * @param window the whole evaluation (model load to the last section)
 * @param energy the energy stage, when the request had one: joules and speed from its exclusive window
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record ModelEvaluated(String runId, Instant occurredAt, EvaluationMetrics metrics, MeasurementWindow window,
                             EnergyMeasurement energy) implements RunEvent {

    public static final String TYPE = "model.evaluated";

    public ModelEvaluated {
        Check.id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.present("metrics", metrics);
        Check.present("window", window);
    }

    /** Without an energy stage. */
    public ModelEvaluated(String runId, Instant occurredAt, EvaluationMetrics metrics, MeasurementWindow window) {
        this(runId, occurredAt, metrics, window, null);
    }
}
