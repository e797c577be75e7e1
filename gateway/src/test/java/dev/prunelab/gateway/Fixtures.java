package dev.prunelab.gateway;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergyUse;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunRequested;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;

/** Events of runs as the services publish them, for the gateway's tests. */
public final class Fixtures {

    public static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    private Fixtures() {
    }

    public static RunRequested request(String runId, String sweepId, PruneSpec prune) {
        return new RunRequested(runId, T0, sweepId, new ModelRef("m.bin", null), prune, null, null);
    }

    /** @param pruneJoules the pruner's energy, or null */
    public static ModelPruned pruned(String runId, PruneSpec prune, long sizeBytes, Double pruneJoules) {
        EnergyUse energy = pruneJoules == null ? null
                : new EnergyUse(EnergySource.ESTIMATE, "cpu time x 3.5 W", 10, pruneJoules, pruneJoules * 0.8, 10.0,
                        "this process's CPU time only");
        return new ModelPruned(runId, T0.plusSeconds(5), new ArtifactRef("file:/a/" + runId, "0".repeat(64), sizeBytes),
                new PruneSummary(prune.method().id(), prune.label(), prune.sparsity(), prune.sparsity(), 260_000L,
                        200_000L, 1.0, 300_000_000L, layers(prune)), null, energy);
    }

    /** Six layers, each with the request's fraction removed (structured: its ratio, with the widths kept). */
    public static java.util.List<PruneSummary.Layer> layers(PruneSpec prune) {
        boolean structured = prune.method().isStructured();
        double removed = structured ? prune.structured().ratio() : prune.sparsity() != null ? prune.sparsity() : 0.5;
        java.util.List<PruneSummary.Layer> layers = new java.util.ArrayList<>();
        for (int layer = 0; layer < 6; layer++) {
            layers.add(new PruneSummary.Layer(layer, removed, structured ? 3 : null, structured ? 384 : null));
        }
        return layers;
    }

    /**
     * An evaluation with an energy stage: decode J/token {@code joulesPerToken} +- {@code joulesHalfWidth},
     * decode tokens/s {@code tokensPerSecond} +- {@code speedHalfWidth}; null joules = no energy stage.
     */
    public static ModelEvaluated evaluated(String runId, double perplexity, long sizeBytes, Double joulesPerToken,
                                    double joulesHalfWidth, double tokensPerSecond, double speedHalfWidth,
                                    long peakRssBytes) {
        EnergyMeasurement energy = joulesPerToken == null ? null : energy(joulesPerToken, joulesHalfWidth,
                tokensPerSecond, speedHalfWidth);
        return new ModelEvaluated(runId, T0.plusSeconds(40),
                new EvaluationMetrics(perplexity, null, 10.0, 1e3 / tokensPerSecond, tokensPerSecond, sizeBytes,
                        peakRssBytes, null),
                new MeasurementWindow(T0.plusSeconds(10), T0.plusSeconds(40), "lab-1", "cpu", "cpu"), energy);
    }

    public static EnergyMeasurement energy(double joulesPerToken, double joulesHalfWidth, double tokensPerSecond,
                                    double speedHalfWidth) {
        return energy(EnergySource.ESTIMATE, joulesPerToken, joulesHalfWidth, tokensPerSecond, speedHalfWidth);
    }

    /** As {@link #energy(double, double, double, double)}, read from {@code source}. */
    public static EnergyMeasurement energy(EnergySource source, double joulesPerToken, double joulesHalfWidth,
                                           double tokensPerSecond, double speedHalfWidth) {
        MeanInterval decode = new MeanInterval(joulesPerToken, joulesPerToken - joulesHalfWidth,
                joulesPerToken + joulesHalfWidth, 12, 0.95);
        MeanInterval net = new MeanInterval(joulesPerToken * 0.8, (joulesPerToken - joulesHalfWidth) * 0.8,
                (joulesPerToken + joulesHalfWidth) * 0.8, 12, 0.95);
        MeanInterval prefill = new MeanInterval(joulesPerToken / 10, joulesPerToken / 11, joulesPerToken / 9, 12, 0.95);
        return new EnergyMeasurement(source, "cpu", source == EnergySource.ESTIMATE ? "cpu time x 3.5 W" : "package-0",
                source == EnergySource.ESTIMATE ? "estimate: no sensor" : "rapl: readable",
                new EnergyMeasurement.Workload(64, 192, 1, 12, 1), T0.plusSeconds(30), T0.plusSeconds(40), 0.5,
                new EnergyMeasurement.Baseline(2.0, 0.01, 0.02), joulesPerToken * 192 * 12 * 1.1, 9.0,
                new EnergyMeasurement.PerToken(prefill, prefill),
                new EnergyMeasurement.PerToken(decode, net),
                new MedianInterval(12.0, 11.0, 13.0, 12, 0.96),
                new MedianInterval(tokensPerSecond, tokensPerSecond - speedHalfWidth, tokensPerSecond + speedHalfWidth,
                        12, 0.96));
    }

    /**
     * The same evaluation with dense's model measured in its window: decode J/token ratio and speed-up to
     * {@code denseRunId} +- half widths, on the log scale as the evaluator writes them.
     */
    public static ModelEvaluated pairedWith(ModelEvaluated evaluated, String denseRunId, double ratio, double ratioHalf,
                                            double speedup, double speedupHalf) {
        EnergyMeasurement e = evaluated.energy();
        var reference = new EnergyMeasurement.Reference(denseRunId, e.decodeJoulesPerToken(), e.decodeTokensPerSecond(),
                new MeanInterval(ratio, ratio - ratioHalf, ratio + ratioHalf, 12, 0.95, MeanInterval.Scale.LOG),
                new MeanInterval(speedup, speedup - speedupHalf, speedup + speedupHalf, 12, 0.95, MeanInterval.Scale.LOG));
        EnergyMeasurement paired = new EnergyMeasurement(e.source(), e.device(), e.basis(), e.selection(), e.workload(),
                e.start(), e.end(), e.waitedSeconds(), e.baseline(), e.joules(), e.seconds(), e.prefillJoulesPerToken(),
                e.decodeJoulesPerToken(), e.ttftMillis(), e.decodeTokensPerSecond(), reference);
        return new ModelEvaluated(evaluated.runId(), evaluated.occurredAt(), evaluated.metrics(), evaluated.window(),
                paired);
    }

    public static PowerSample power(int second, double watts) {
        return new PowerSample(T0.plusSeconds(second), "lab-1", "cpu", watts, EnergySource.ESTIMATE, "cpu x TDP");
    }
}
