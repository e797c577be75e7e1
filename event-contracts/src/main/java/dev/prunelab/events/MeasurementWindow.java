package dev.prunelab.events;

import dev.prunelab.vocabulary.InvalidSetting;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;

/**
 * When and where an evaluation ran: the gateway integrates the power samples of this host and device over
 * [start, end].
 *
 * @param device   the power device measured: "cpu" (matches the meter's "cpu" and "cpu/…" devices) or "gpu0"
 * @param provider the ONNX Runtime provider that ran: cpu or cuda
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MeasurementWindow(Instant start, Instant end, String host, String device, String provider) {

    public MeasurementWindow {
        Check.present("start", start);
        Check.present("end", end);
        if (end.isBefore(start)) {
            throw new InvalidSetting("end", end + " is before start " + start);
        }
        Check.text("host", host);
        Check.text("device", device);
    }

    public Duration duration() {
        return Duration.between(start, end);
    }
}
