package dev.prunelab.events;

import java.time.Instant;

/**
 * The pruned model was evaluated (topic {@value Topics#MODEL_EVALUATED}).
 *
 * @param window the whole evaluation (model load to the last section)
 * @param energy the energy stage, when the request had one: joules and speed from its exclusive window
 */
public record ModelEvaluated(String runId, Instant occurredAt, EvaluationMetrics metrics, MeasurementWindow window,
                             EnergyMeasurement energy) implements RunEvent {

    public static final String TYPE = "model.evaluated";

    public ModelEvaluated {
        Check.runEvent(runId, occurredAt);
        Check.present("metrics", metrics);
        Check.present("window", window);
    }

    /** Without an energy stage. */
    public ModelEvaluated(String runId, Instant occurredAt, EvaluationMetrics metrics, MeasurementWindow window) {
        this(runId, occurredAt, metrics, window, null);
    }
}
