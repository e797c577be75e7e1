package dev.prunelab.evaluation.energy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;

/**
 * What the energy stage measured, as the result document's {@code energy.summary} holds it (the same fields as
 * model.evaluated's energy, which the evaluator service maps from it): per token and per phase, gross and net of
 * the idle baseline, with 95% intervals over the repeats, and the speed the same window saw.
 *
 * @param source                where the watts came from (the counter chosen)
 * @param device                the counter's device, "cpu" or "gpuN (…)"
 * @param basis                 the counter or model, one line
 * @param selection             why this counter (the better ones that were not available), and the phase passes
 * @param start                 the window's first recorded repeat (after baseline and warm-up)
 * @param end                   its last
 * @param waitedSeconds         how long the window waited for other lab work on the host to pause
 * @param joules                gross joules of the recorded repeats together
 * @param seconds               wall seconds of the recorded repeats together
 * @param prefillJoulesPerToken per prompt token (B x P per repeat)
 * @param decodeJoulesPerToken  per generated token (B x N per repeat)
 * @param ttftMillis            prefill of the batch + choosing its first tokens
 * @param decodeTokensPerSecond B x N / decode seconds
 * @param reference             the reference model measured interleaved in the same window, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EnergySummary(EnergySource source, String device, String basis, String selection, Workload workload,
                            Instant start, Instant end, double waitedSeconds, Baseline baseline, double joules,
                            double seconds, PerToken prefillJoulesPerToken, PerToken decodeJoulesPerToken,
                            MedianInterval ttftMillis, MedianInterval decodeTokensPerSecond, Reference reference) {

    /** The workload as it ran: P + N capped to the model's context; B rows; R recorded repeats after W warm-ups. */
    public record Workload(int promptTokens, int decodeTokens, int batch, int repeats, int warmups) {
    }

    /**
     * The idle power the net figures subtract.
     *
     * @param seconds         the sleep over which a counter was read at both ends
     * @param watts           a counter's mean power over that sleep (measured), or the estimate's idle share of the
     *                        repeats (modelled)
     * @param hostUtilisation the machine's busy CPU fraction over the sleep (/proc/stat), or null where unreadable
     * @param basis           measured or modelled, and how, in one line
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Baseline(double seconds, double watts, Double hostUtilisation, String basis) {
    }

    /** Joules per token: gross (log scale, or clamped at 0) and net of the idle baseline (linear). */
    public record PerToken(MeanInterval gross, MeanInterval net) {
    }

    /**
     * The reference model's own figures in this window, and the pairs' ratios (repeat i of each, measured seconds
     * apart): geometric means over the pairs.
     */
    public record Reference(String runId, PerToken decodeJoulesPerToken, MedianInterval decodeTokensPerSecond,
                            MeanInterval decodeEnergyRatio, MeanInterval decodeSpeedup) {
    }
}
