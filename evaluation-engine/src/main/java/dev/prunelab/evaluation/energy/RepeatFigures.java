package dev.prunelab.evaluation.energy;

import dev.prunelab.evaluation.energy.EnergyBenchmark.Repeat;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.Intervals;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;
import java.util.List;

/**
 * The recorded repeats turned into the stage's figures. Per repeat: prefill J/token = Δprefill / (B·P), decode
 * J/token = Δdecode / (B·N), gross and net of idle; TTFT = prefill + first tokens; decode tokens/s = B·N / decode
 * seconds. Gross energy figures and ratios cannot be negative: geometric means with Student's t 95% intervals of the
 * logs ({@link Intervals#positiveMean}); net figures (which may be 0 or below) arithmetic means with linear t
 * intervals; speed figures medians with order-statistic intervals.
 */
final class RepeatFigures {
    private RepeatFigures() {
    }

    /** Where and how the repeats were measured: the counter, why it, the window's edges and wait, the baseline. */
    record Window(EnergyCounter counter, String selection, Instant start, Instant end, double waitedSeconds,
                  IdleBaseline baseline) {
    }

    static EnergySummary summary(Window window, EnergySummary.Workload workload, List<Repeat> repeats,
            EnergySummary.Reference reference) {
        int n = repeats.size();
        double prefillTokens = (double) workload.batch() * workload.promptTokens();
        double decodeTokens = (double) workload.batch() * workload.decodeTokens();
        double[] prefillGross = new double[n];
        double[] prefillNet = new double[n];
        double[] decodeGross = new double[n];
        double[] decodeNet = new double[n];
        double[] ttft = new double[n];
        double[] decodeRate = new double[n];
        double joules = 0;
        double seconds = 0;
        for (int i = 0; i < n; i++) {
            Repeat r = repeats.get(i);
            prefillGross[i] = r.prefillJoules() / prefillTokens;
            prefillNet[i] = (r.prefillJoules() - r.prefillIdleJoules()) / prefillTokens;
            decodeGross[i] = r.decodeJoules() / decodeTokens;
            decodeNet[i] = (r.decodeJoules() - r.decodeIdleJoules()) / decodeTokens;
            ttft[i] = r.prefillSeconds() * 1e3;
            decodeRate[i] = decodeTokens / r.decodeSeconds();
            joules += r.prefillJoules() + r.decodeJoules();
            seconds += r.prefillSeconds() + r.decodeSeconds();
        }
        EnergyCounter counter = window.counter();
        return new EnergySummary(EnergySource.of(counter.source()), counter.device(), counter.basis(),
                window.selection(), workload, window.start(), window.end(), window.waitedSeconds(),
                window.baseline().reported(counter, repeats), joules, seconds,
                new EnergySummary.PerToken(Intervals.positiveMean(prefillGross), Intervals.mean(prefillNet)),
                new EnergySummary.PerToken(Intervals.positiveMean(decodeGross), Intervals.mean(decodeNet)),
                Intervals.median(ttft), Intervals.median(decodeRate), reference);
    }

    /**
     * The reference's own figures in this window, and the pairs' ratios: repeat i of this model against repeat i
     * of the reference (measured next to each other), each pair one ratio, the mean over the pairs with its interval.
     */
    static EnergySummary.Reference reference(String runId, EnergySummary.Workload workload, List<Repeat> repeats,
            List<Repeat> referenceRepeats) {
        int n = repeats.size();
        double tokens = (double) workload.batch() * workload.decodeTokens();
        double[] energyRatio = new double[n];
        double[] speedup = new double[n];
        double[] gross = new double[n];
        double[] net = new double[n];
        double[] rate = new double[n];
        for (int i = 0; i < n; i++) {
            Repeat a = repeats.get(i);
            Repeat b = referenceRepeats.get(i);
            energyRatio[i] = a.decodeJoules() / b.decodeJoules();
            speedup[i] = b.decodeSeconds() / a.decodeSeconds();
            gross[i] = b.decodeJoules() / tokens;
            net[i] = (b.decodeJoules() - b.decodeIdleJoules()) / tokens;
            rate[i] = tokens / b.decodeSeconds();
        }
        return new EnergySummary.Reference(runId,
                new EnergySummary.PerToken(Intervals.positiveMean(gross), Intervals.mean(net)), Intervals.median(rate),
                Intervals.positiveMean(energyRatio), Intervals.positiveMean(speedup));
    }
}
