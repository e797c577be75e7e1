package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.InvalidSetting;

/**
 * Energy of one piece of work, read from an energy counter at its edges (docs/energy.md).
 *
 * @param source      nvml | rapl | estimate
 * @param basis       which counter or which model produced the joules
 * @param seconds     wall time of the work
 * @param joules      gross energy attributed to the work
 * @param netJoules   gross minus what the host would have drawn idle
 * @param cpuSeconds  CPU time of the working process, when known
 * @param attribution how the joules were attributed to this work, one line
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EnergyUse(EnergySource source, String basis, double seconds, double joules, double netJoules,
                        Double cpuSeconds, String attribution) {
    public EnergyUse {
        Check.present("source", source);
        Check.text("basis", basis);
        if (!(seconds >= 0 && joules >= 0 && Double.isFinite(seconds) && Double.isFinite(joules))) {
            throw new InvalidSetting("joules", "seconds " + seconds + " and joules " + joules
                    + " must be finite numbers >= 0");
        }
        if (!Double.isFinite(netJoules)) {
            throw new InvalidSetting("netJoules", netJoules + " is not a finite number");
        }
    }
}
