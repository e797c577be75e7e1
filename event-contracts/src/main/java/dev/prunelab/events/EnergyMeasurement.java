package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;

/**
 * The energy stage of an evaluation (docs/energy.md): its fixed workload measured inside the host's exclusive
 * window, per token and per phase, gross and net of the idle baseline, with 95% intervals over the repeats; and the
 * speed the same window saw.
 *
 * @param source                 nvml | rapl | estimate: where the watts came from
 * @param device                 cpu or gpu0
 * @param basis                  the counter or model, one line
 * @param selection              why this source (the better ones that were not available)
 * @param start                  the window's first repeat (after baseline and warm-up)
 * @param end                    the window's last repeat
 * @param waitedSeconds          how long the window waited for other work of the lab on the host to pause
 * @param joules                 gross energy of the recorded repeats together
 * @param seconds                wall time of the recorded repeats together
 * @param prefillJoulesPerToken  per prompt token (B x P per repeat)
 * @param decodeJoulesPerToken   per generated token (B x N per repeat)
 * @param ttftMillis             prefill of the batch + choosing its first tokens
 * @param decodeTokensPerSecond  B x N / decode seconds
 * @param reference              the reference run's model measured in the same window, interleaved; null without one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EnergyMeasurement(EnergySource source, String device, String basis, String selection, Workload workload,
                                Instant start, Instant end, double waitedSeconds, Baseline baseline,
                                double joules, double seconds, PerToken prefillJoulesPerToken,
                                PerToken decodeJoulesPerToken, MedianInterval ttftMillis,
                                MedianInterval decodeTokensPerSecond, Reference reference) {

    public EnergyMeasurement {
        Check.present("source", source);
        Check.text("device", device);
        Check.text("basis", basis);
        Check.present("workload", workload);
        Check.present("start", start);
        Check.present("end", end);
        Check.present("baseline", baseline);
        Check.present("prefillJoulesPerToken", prefillJoulesPerToken);
        Check.present("decodeJoulesPerToken", decodeJoulesPerToken);
        Check.present("ttftMillis", ttftMillis);
        Check.present("decodeTokensPerSecond", decodeTokensPerSecond);
    }

    /** Without a reference. */
    public EnergyMeasurement(EnergySource source, String device, String basis, String selection, Workload workload,
                             Instant start, Instant end, double waitedSeconds, Baseline baseline, double joules,
                             double seconds, PerToken prefillJoulesPerToken, PerToken decodeJoulesPerToken,
                             MedianInterval ttftMillis, MedianInterval decodeTokensPerSecond) {
        this(source, device, basis, selection, workload, start, end, waitedSeconds, baseline, joules, seconds,
                prefillJoulesPerToken, decodeJoulesPerToken, ttftMillis, decodeTokensPerSecond, null);
    }

    /**
     * The reference model in the same window: the two models' repeats alternate (ABBA...), so each pair is
     * measured seconds apart and the machine's drift cancels in their ratio.
     *
     * @param decodeJoulesPerToken  the reference's own, in this window
     * @param decodeTokensPerSecond the reference's own, in this window
     * @param decodeEnergyRatio     mean over the pairs of this model's decode J/token / the reference's
     * @param decodeSpeedup         mean over the pairs of this model's decode tokens/s / the reference's
     */
    public record Reference(String runId, PerToken decodeJoulesPerToken, MedianInterval decodeTokensPerSecond,
                            MeanInterval decodeEnergyRatio, MeanInterval decodeSpeedup) {
        public Reference {
            Check.text("runId", runId);
            Check.present("decodeEnergyRatio", decodeEnergyRatio);
            Check.present("decodeSpeedup", decodeSpeedup);
        }
    }

    /** The workload as run (P + N capped to the model's context). */
    public record Workload(int promptTokens, int decodeTokens, int batch, int repeats, int warmups) {
    }

    /**
     * @param seconds         how long the process slept while the counter was read at both ends
     * @param watts           the idle power net figures subtract: a counter's (RAPL, NVML) mean power over the sleep,
     *                        measured; the estimate's idle share from its power model (idle watts per core x the
     *                        cores it charged over the repeats), not a measurement
     * @param hostUtilisation the whole machine's busy CPU fraction over the baseline (/proc/stat), when readable
     * @param basis           one line: measured or modelled, and how; absent in events written before it existed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Baseline(double seconds, double watts, Double hostUtilisation, String basis) {
        /** Without a basis (as events before it). */
        public Baseline(double seconds, double watts, Double hostUtilisation) {
            this(seconds, watts, hostUtilisation, null);
        }
    }

    /** Joules per token, gross and net of idle. */
    public record PerToken(MeanInterval gross, MeanInterval net) {
        public PerToken {
            Check.present("gross", gross);
            Check.present("net", net);
        }
    }
}
