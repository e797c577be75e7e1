package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/** The pruned model was evaluated (topic {@value Topics#MODEL_EVALUATED}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "occurredAt"})
public record ModelEvaluated(String runId, Instant occurredAt, EvaluationMetrics metrics, MeasurementWindow window)
        implements Event {

    public static final String TYPE = "model.evaluated";

    public ModelEvaluated {
        Check.id("runId", runId, RunRequested.MAX_RUN_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.present("metrics", metrics);
        Check.present("window", window);
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return TYPE;
    }

    @Override
    public String key() {
        return runId;
    }
}
