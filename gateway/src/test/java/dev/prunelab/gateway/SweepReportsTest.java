package dev.prunelab.gateway;

import static dev.prunelab.gateway.RunJoinTest.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PowerSourceKind;
import dev.prunelab.events.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.StructuredSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweepReportsTest {

    private final RunJoin join = new RunJoin(new EnergyIntegrator(475), Duration.ofSeconds(30), Duration.ofHours(1));

    private void run(String id, PruneSpec prune, double perplexity, long sizeBytes, int fromSecond, double watts) {
        join.accept(new RunRequested(id, T0, "s", new ModelRef("m.bin", null), prune, null, null));
        join.accept(new ModelPruned(id, T0.plusSeconds(fromSecond), new ArtifactRef("file:/a/" + id, "0".repeat(64),
                sizeBytes), new PruneSummary(prune.method().id(), prune.label(), prune.sparsity(), prune.sparsity(),
                260_000L, 200_000L, 1.0, null), null));
        // 10 s window at constant power: joules = watts x 10
        join.accept(sample(fromSecond, watts));
        join.accept(sample(fromSecond + 10, watts));
        join.accept(new ModelEvaluated(id, T0.plusSeconds(fromSecond + 10),
                new EvaluationMetrics(perplexity, null, null, 2.0, 500.0, sizeBytes, null, null),
                new MeasurementWindow(T0.plusSeconds(fromSecond), T0.plusSeconds(fromSecond + 10), "h", "cpu", "cpu")));
    }

    private static PowerSample sample(int second, double watts) {
        return new PowerSample(T0.plusSeconds(second), "h", "cpu", watts, PowerSourceKind.RAPL, null);
    }

    @Test
    void joinsStatusResultsEnergyCarbonFrontAndRecommendation() {
        run("dense", PruneSpec.unstructured(PruneMethod.WANDA, 0.0), 6.0, 1000, 0, 10);   // 100 J
        run("w50", PruneSpec.unstructured(PruneMethod.WANDA, 0.5), 6.5, 1000, 100, 8);   // 80 J, within 10%
        run("m70", PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.7), 30.0, 1000, 200, 7); // 70 J, too far
        join.accept(new RunRequested("queued", T0, "s", new ModelRef("m.bin", null),
                PruneSpec.unstructured(PruneMethod.SPARSEGPT, 0.5), null, null));
        join.accept(new RunRequested("pruning", T0, "s", new ModelRef("m.bin", null),
                PruneSpec.unstructured(PruneMethod.SPARSEGPT, 0.7), null, null));
        join.accept(new RunProgress("pruning", T0.plusSeconds(1), "calibration", 0.25, "block 1 of 4"));
        join.accept(new RunRequested("bad", T0, "s", new ModelRef("m.bin", null),
                PruneSpec.nm(PruneMethod.SPARSEGPT, "2:4"), null, null));
        join.accept(new RunFailed("bad", T0.plusSeconds(2), "prune", "out of memory", null));

        SweepView view = SweepReports.view("s", join.sweep("s"), false, 0.10, null);

        assertEquals("running", view.status());
        assertFalse(view.finished());
        assertEquals(Map.of("done", 3, "queued", 1, "pruning", 1, "failed", 1), view.counts());
        RunView w50 = view.runs().get(1);
        assertEquals(RunStatus.DONE, w50.status());
        assertEquals(6.5, w50.results().perplexity());
        assertEquals(80.0, w50.results().energyJoules(), 1e-9);
        assertEquals(80.0 / 3.6e6 * 475, w50.results().carbonGrams(), 1e-12);
        assertEquals(500.0, w50.results().tokensPerSecond());
        assertEquals(1000L, w50.results().sizeBytes());
        assertEquals(0.5, w50.pruneSummary().requestedSparsity());
        RunView pruning = view.runs().get(4);
        assertEquals(RunStatus.PRUNING, pruning.status());
        assertEquals("calibration", pruning.progress().stage());
        assertEquals(0.25, pruning.progress().fraction());
        assertEquals("out of memory", view.runs().get(5).failure().reason());

        // m70 has the least energy but the worst perplexity: all three are on the front.
        assertEquals(List.of("dense", "w50", "m70"), view.pareto().runIds());
        assertTrue(view.runs().get(2).pareto());
        // Dense reference 6.0, limit 6.6: dense and w50 are admissible, same size, w50 uses less energy.
        SweepView.Recommendation rec = view.recommendation();
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_DENSE, "dense", 6.0), rec.baseline());
        assertEquals(6.6, rec.perplexityLimit(), 1e-12);
        assertEquals("w50", rec.runId());
        assertEquals(List.of("w50", "dense"), rec.admissible());
        assertTrue(w50.recommended());
        assertFalse(view.runs().get(0).recommended());
        assertNull(rec.note());

        // A stricter limit keeps only the dense run.
        assertEquals("dense", SweepReports.view("s", join.sweep("s"), false, 0.05, null).recommendation().runId());
    }

    @Test
    void withoutADenseRunTheLeastPrunedRunOrTheCallersBaselineIsTheReference() {
        run("w30", PruneSpec.unstructured(PruneMethod.WANDA, 0.3), 6.2, 1000, 0, 10);
        run("nm24", PruneSpec.nm(PruneMethod.WANDA, "2:4"), 6.4, 1000, 100, 5);
        run("s20", PruneSpec.structured(new StructuredSpec("mlp", 0.2, "flap", null, null)), 7.5, 800, 200, 5);

        SweepView view = SweepReports.view("s", join.sweep("s"), false, 0.10, null);
        SweepView.Recommendation rec = view.recommendation();
        // least pruned: structured 0.2 (7.5) < wanda 0.3 (6.2) < 2:4 = 0.5
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_LEAST_SPARSE, "s20", 7.5), rec.baseline());
        assertTrue(rec.note().contains("no dense run"));
        assertEquals("s20", rec.runId(), "smallest model within 8.25");

        SweepView given = SweepReports.view("s", join.sweep("s"), false, 0.10, 6.0);
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_QUERY, null, 6.0), given.recommendation().baseline());
        assertEquals("nm24", given.recommendation().runId(), "within 6.6, same size: less energy than w30");

        SweepView none = SweepReports.view("s", join.sweep("s"), false, 0.01, 5.0);
        assertNull(none.recommendation().runId());
        assertTrue(none.recommendation().note().startsWith("no completed run has perplexity <= 5.05"));

        assertThrows(IllegalArgumentException.class, () -> SweepReports.view("s", join.sweep("s"), false, -0.1, null));
        assertThrows(IllegalArgumentException.class, () -> SweepReports.view("s", join.sweep("s"), false, 0.1, 0.5));
    }

    @Test
    void aCancelledSweepEndsWhenItsRunsEnd() {
        run("done", PruneSpec.unstructured(PruneMethod.WANDA, 0.3), 6.2, 1000, 0, 10);
        join.accept(new RunRequested("skipped", T0, "s", new ModelRef("m.bin", null),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5), null, null));
        assertEquals("cancelling", SweepReports.view("s", join.sweep("s"), true, 0.1, null).status());
        join.accept(new RunFailed("skipped", T0.plusSeconds(1), "cancelled", "cancelled by the user", null));
        SweepView view = SweepReports.view("s", join.sweep("s"), true, 0.1, null);
        assertEquals("cancelled", view.status());
        assertTrue(view.finished());
        assertEquals(RunStatus.CANCELLED, view.runs().get(1).status());
    }
}
