package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.InvalidSetting;
import java.time.Instant;

/**
 * Mean power of one device over the sampling interval that ended at {@code occurredAt} (topic
 * {@value Topics#POWER_SAMPLE}). Power belongs to a machine, not to a run: the key is {@code host/device} and
 * the gateway attributes energy to runs through their measurement windows.
 *
 * @param device e.g. "cpu" (estimate), "cpu/package-0" (RAPL zone), "gpu0" (NVML)
 * @param basis  how the number was obtained; required for estimates ("cpu utilisation × TDP 65 W")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "occurredAt"})
public record PowerSample(Instant occurredAt, String host, String device, double watts, EnergySource source,
                          String basis) implements Event {

    public static final String TYPE = "power.sample";

    public PowerSample {
        Check.instant("occurredAt", occurredAt);
        Check.text("host", host);
        Check.text("device", device);
        if (!(watts >= 0 && Double.isFinite(watts))) {
            throw new InvalidSetting("watts", watts + " must be a finite number >= 0");
        }
        Check.present("source", source);
        if (source == EnergySource.ESTIMATE) {
            Check.text("basis", basis);
        }
    }

    @Override
    public String key() {
        return host + "/" + device;
    }
}
