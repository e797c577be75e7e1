package dev.prunelab.gateway;

import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.RunStage;
import static dev.prunelab.gateway.Fixtures.T0;
import static dev.prunelab.gateway.Fixtures.evaluated;
import static dev.prunelab.gateway.Fixtures.pruned;
import static dev.prunelab.gateway.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.StructuredSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweepReportsTest {

    private static final PruneSpec DENSE = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.0);
    private static final PruneSpec W50 = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);
    private static final PruneSpec M70 = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.7);
    private static final PruneSpec S50 = PruneSpec.structured(new StructuredSpec(StructuredTarget.MLP_HEADS, 0.5, StructuredScore.FLAP, null, null));

    private final RunJoin join = new RunJoin(Duration.ofHours(1));
    private final Carbon carbon = new Carbon(475, 1.5);

    private void run(String id, PruneSpec prune, double perplexity, long size, double joulesPerToken, double speed,
                     Double pruneJoules) {
        join.accept(request(id, "s", prune));
        join.accept(pruned(id, prune, size, pruneJoules));
        join.accept(evaluated(id, perplexity, size, joulesPerToken, joulesPerToken * 0.05, speed, speed * 0.03,
                500L << 20));
    }

    private SweepView view(Constraints constraints, Double baseline) {
        return SweepReports.view("s", join.sweep("s"), false, constraints, baseline, carbon);
    }

    @Test
    void joinsStatusResultsEnergyCarbonSpeedupsFrontAndRecommendation() {
        run("dense", DENSE, 6.0, 60_000_000, 0.020, 400, 2.0);
        run("w50", W50, 7.0, 60_000_000, 0.0201, 404, 25.0);   // the same compute as dense, inside its noise
        run("m70", M70, 30.0, 60_000_000, 0.0199, 401, 3.0);
        run("s50", S50, 8.5, 35_000_000, 0.012, 660, 30.0);
        join.accept(request("queued", "s", PruneSpec.unstructured(PruneMethod.SPARSEGPT, 0.5)));
        join.accept(request("pruning", "s", PruneSpec.unstructured(PruneMethod.SPARSEGPT, 0.7)));
        join.accept(new RunProgress("pruning", T0.plusSeconds(1), RunStage.CALIBRATE, 0.25, "block 1 of 4"));
        join.accept(request("bad", "s", PruneSpec.nm(PruneMethod.SPARSEGPT, "2:4")));
        join.accept(new RunFailed("bad", T0.plusSeconds(2), RunStage.PRUNE, "out of memory", null));

        SweepView view = view(Constraints.perplexityOnly(0.10), null);

        assertEquals("running", view.status());
        assertFalse(view.finished());
        assertEquals(Map.of("done", 4, "queued", 1, "pruning", 1, "failed", 1), view.counts());
        assertEquals("dense", view.denseRunId());
        assertEquals("m.bin", view.model());
        assertEquals(carbon, view.carbon());

        RunView s50 = view.runs().get(3);
        assertEquals(RunStatus.DONE, s50.status());
        RunView.Results r = s50.results();
        assertEquals(8.5, r.perplexity());
        assertEquals(0.012, r.decodeJoulesPerToken().mean(), 1e-12);
        assertEquals(660, r.decodeTokensPerSecond().median(), 1e-12);
        assertEquals("higher", r.decodeSpeedup().verdict());
        assertEquals(1.65, r.decodeSpeedup().estimate(), 1e-12);
        // 30 J of pruning / (0.020 - 0.012) J per token
        assertEquals(30 / 0.008, r.breakEvenTokens(), 1e-6);
        double stageJoules = 0.012 * 192 * 12 * 1.1;
        assertEquals(stageJoules, r.energyJoules(), 1e-9);
        assertEquals(30.0, r.pruneJoules());
        assertEquals((stageJoules + 30) / 3.6e6 * 1.5 * 475, r.carbonGrams(), 1e-12);
        assertTrue(r.energyEstimated());

        RunView w50 = view.runs().get(1);
        assertEquals(Ratio.NO_DIFFERENCE, w50.results().decodeSpeedup().verdict());
        assertNull(w50.results().breakEvenTokens(), "inside dense's noise: never pays back");
        assertEquals("out of memory", view.runs().get(6).failure().reason());
        assertEquals(RunStatus.PRUNING, view.runs().get(5).status());

        // w50 and m70 tie with dense on speed and energy and lose on perplexity: off the front.
        assertEquals(List.of("dense", "s50"), view.pareto().runIds());
        // Limit 6.6: only dense; a permissive limit takes the run that is really leaner and faster.
        assertEquals("dense", view.recommendation().runId());
        SweepView permissive = view(Constraints.perplexityOnly(0.5), null);
        SweepView.Recommendation rec = permissive.recommendation();
        assertEquals("s50", rec.runId());
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_DENSE, "dense", 6.0), rec.baseline());
        assertTrue(rec.reason().contains("(faster)"), rec.reason());
        assertTrue(permissive.runs().get(3).recommended());
        assertEquals("dense", view(new Constraints(0.2, null, null), null).recommendation().runId(),
                "within 20%: w50 ties dense on energy, dense's perplexity is better");
        SweepView tooFast = view(new Constraints(0.5, 2.0, null), null);
        assertNull(tooFast.recommendation().runId());
        assertTrue(tooFast.recommendation().note().contains("speed-up >= 2.0"), tooFast.recommendation().note());
    }

    @Test
    void emissionsCsvHasCodeCarbonsColumnsAndOneRowPerMeasuredRun() {
        run("dense", DENSE, 6.0, 60_000_000, 0.020, 400, 2.0);
        run("s50", S50, 8.5, 35_000_000, 0.012, 660, 30.0);
        join.accept(request("queued", "s", W50));
        String csv = EmissionsCsv.of(view(Constraints.perplexityOnly(0.1), null).runs(), carbon);
        List<String> lines = csv.lines().toList();
        assertEquals(3, lines.size(), csv);
        List<String> header = Arrays.asList(lines.get(0).split(","));
        assertEquals(List.of("timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
                "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy",
                "energy_consumed"), header.subList(0, 14));
        assertTrue(header.containsAll(List.of("country_name", "region", "tracking_mode", "pue")));
        String[] s50 = lines.get(2).split(",", -1);
        assertEquals("s50", s50[header.indexOf("run_id")]);
        assertEquals("s", s50[header.indexOf("experiment_id")]);
        double joules = 0.012 * 192 * 12 * 1.1 + 30;
        assertEquals(joules / 3.6e6, Double.parseDouble(s50[header.indexOf("cpu_energy")]), 1e-12);
        assertEquals(joules / 3.6e6 * 1.5, Double.parseDouble(s50[header.indexOf("energy_consumed")]), 1e-12);
        assertEquals(joules / 3.6e6 * 1.5 * 475 / 1000, Double.parseDouble(s50[header.indexOf("emissions")]), 1e-12);
        assertEquals(19.0, Double.parseDouble(s50[header.indexOf("duration")]), 1e-9, "10 s pruning + 9 s stage");
        assertEquals("process", s50[header.indexOf("tracking_mode")]);
        assertEquals("475", s50[header.indexOf("carbon_intensity_g_per_kwh")]);
        assertEquals("1.5", s50[header.indexOf("pue")]);
        assertEquals("estimate", s50[header.indexOf("energy_source")]);
        assertEquals("estimate", s50[header.indexOf("energy_stage_source")]);
        assertEquals("estimate", s50[header.indexOf("prune_energy_source")]);
    }

    @Test
    void aRowWhosePruneJoulesAreEstimatedSaysEstimateThoughItsStageWasMeasured() {
        join.accept(request("s50", "s", S50));
        join.accept(pruned("s50", S50, 35_000_000, 30.0));                // the pruner's CPU-time estimate
        ModelEvaluated rapl = evaluated("s50", 8.5, 35_000_000, 0.012, 0.0006, 660, 20, 500L << 20);
        join.accept(new ModelEvaluated(rapl.runId(), rapl.occurredAt(), rapl.metrics(), rapl.window(),
                Fixtures.energy(EnergySource.RAPL, 0.012, 0.0006, 660, 20)));
        String csv = EmissionsCsv.of(view(Constraints.perplexityOnly(0.1), null).runs(), carbon);
        List<String> header = Arrays.asList(csv.lines().findFirst().orElseThrow().split(","));
        String[] row = csv.lines().skip(1).findFirst().orElseThrow().split(",", -1);
        assertEquals("estimate", row[header.indexOf("energy_source")], "the row's joules include an estimate");
        assertEquals("rapl", row[header.indexOf("energy_stage_source")]);
        assertEquals("estimate", row[header.indexOf("prune_energy_source")]);
        assertEquals("process", row[header.indexOf("tracking_mode")]);
        assertEquals("rapl", EmissionsCsv.source(EnergySource.RAPL, null));
        assertEquals("nvml+rapl", EmissionsCsv.source(EnergySource.RAPL, EnergySource.NVML));
        RunView.Results results = view(Constraints.perplexityOnly(0.1), null).runs().get(0).results();
        assertEquals(EnergySource.RAPL, results.energySource());
        assertEquals(EnergySource.ESTIMATE, results.pruneEnergySource());
        assertTrue(results.energyEstimated(), "its carbon includes an estimate");
    }

    @Test
    void oneRunWhoseIntervalReachesBelowZeroLeavesItsFiguresMissingNotTheSweep() {
        // dense's energy stage is an older event: a linear interval at small n, 0.020 +- 0.025 J/token.
        join.accept(request("dense", "s", DENSE));
        join.accept(pruned("dense", DENSE, 60_000_000, 2.0));
        join.accept(evaluated("dense", 6.0, 60_000_000, 0.020, 0.025, 400, 12, 500L << 20));
        run("w50", W50, 7.0, 60_000_000, 0.0201, 404, 25.0);        // measured alone: needs dense's absolute figure
        join.accept(request("s50", "s", S50));                          // measured with dense in its window
        join.accept(pruned("s50", S50, 35_000_000, 30.0));
        join.accept(Fixtures.pairedWith(evaluated("s50", 8.5, 35_000_000, 0.012, 0.0006, 660, 20, 500L << 20),
                "dense", 0.6, 0.02, 1.65, 0.04));

        SweepView view = view(Constraints.perplexityOnly(0.5), null);

        assertEquals("done", view.status());
        RunView w50 = view.runs().get(1);
        assertEquals(7.0, w50.results().perplexity(), "the run's own figures are shown");
        assertEquals(0.0201, w50.results().decodeJoulesPerToken().mean(), 1e-12);
        assertNull(w50.results().decodeEnergyRatio(), "no ratio to a dense figure that is not positive");
        assertEquals(Ratio.NO_DIFFERENCE, w50.results().decodeSpeedup().verdict(), "its speed-up is unaffected");
        assertEquals(List.of("energy ratio: dense's decode J/token 0.02000 [-0.005000, 0.04500] reaches 0 or below: "
                + "no ratio to it"), w50.notes());
        RunView s50 = view.runs().get(2);
        assertTrue(s50.versusDense().paired(), "the paired run keeps its pair");
        assertEquals(new Ratio(0.6, 0.6 - 0.02, 0.6 + 0.02, "lower"), s50.results().decodeEnergyRatio());
        assertEquals(List.of(), s50.notes());
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"), view.pareto().objectives());
        assertEquals("s50", view.recommendation().runId());
        assertTrue(view.recommendation().reason().endsWith("left out for want of an energy ratio to dense: w50"),
                view.recommendation().reason());
    }

    @Test
    void aSweepWithOneUnpairedRunKeepsTheOthersPairs() {
        join.accept(request("dense", "s", DENSE));
        join.accept(pruned("dense", DENSE, 60_000_000, 2.0));
        join.accept(evaluated("dense", 6.0, 60_000_000, 0.020, 0.001, 400, 12, 500L << 20));
        // s50 was measured with dense in a window where the machine ran slow: absolute figures like dense's.
        join.accept(request("s50", "s", S50));
        join.accept(pruned("s50", S50, 35_000_000, 30.0));
        join.accept(Fixtures.pairedWith(evaluated("s50", 8.5, 35_000_000, 0.0200, 0.0006, 400, 12, 500L << 20),
                "dense", 0.6, 0.02, 1.65, 0.04));
        run("w50", W50, 7.0, 60_000_000, 0.0201, 404, 25.0);         // "measuring unpaired"

        SweepView view = view(Constraints.perplexityOnly(0.5), null);
        RunView s50 = view.runs().get(1);
        RunView w50 = view.runs().get(2);
        assertTrue(s50.versusDense().paired());
        assertEquals(new Ratio(1.65, 1.65 - 0.04, 1.65 + 0.04, "higher"), s50.results().decodeSpeedup());
        assertEquals(false, w50.versusDense().paired());
        assertEquals(VersusDense.UNPAIRED, w50.versusDense().comparison());
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"), view.pareto().objectives());
        assertTrue(view.pareto().note().endsWith("paired in its own window, except w50 (unpaired: conservative, from "
                + "two windows)"), view.pareto().note());
        assertEquals(List.of("dense", "s50"), view.pareto().runIds());
        assertEquals("s50", view.recommendation().runId(), "on absolute figures of two windows s50 would tie dense");
        assertEquals(Fixtures.T0.plusSeconds(30), s50.results().energyWindowStart());
    }

    @Test
    void withoutADenseRunTheLeastPrunedRunOrTheCallersBaselineIsTheReference() {
        run("w30", PruneSpec.unstructured(PruneMethod.WANDA, 0.3), 6.2, 1000, 0.02, 400, null);
        run("nm24", PruneSpec.nm(PruneMethod.WANDA, "2:4"), 6.4, 1000, 0.02, 400, null);
        run("s20", PruneSpec.structured(new StructuredSpec(StructuredTarget.MLP, 0.2, StructuredScore.FLAP, null, null)), 7.5, 800, 0.016, 480, null);

        SweepView view = view(Constraints.perplexityOnly(0.10), null);
        SweepView.Recommendation rec = view.recommendation();
        // least pruned: structured 0.2 (7.5) < wanda 0.3 (6.2) < 2:4 = 0.5
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_LEAST_SPARSE, "s20", 7.5), rec.baseline());
        assertTrue(rec.note().contains("no dense run"));
        assertNull(view.denseRunId());
        assertNull(view.runs().get(0).results().decodeSpeedup(), "no dense run: no speed-up");
        assertEquals("s20", rec.runId(), "the leanest within 8.25");

        SweepView given = view(Constraints.perplexityOnly(0.10), 6.0);
        assertEquals(new SweepView.Baseline(SweepReports.BASELINE_QUERY, null, 6.0), given.recommendation().baseline());
        assertEquals("w30", given.recommendation().runId(), "within 6.6, w30 and nm24 tie on energy: lower perplexity");

        SweepView none = view(Constraints.perplexityOnly(0.01), 5.0);
        assertNull(none.recommendation().runId());
        assertTrue(none.recommendation().note().startsWith("no completed run satisfies the constraints (perplexity <= 5.05"),
                none.recommendation().note());

        assertThrows(IllegalArgumentException.class, () -> Constraints.perplexityOnly(-0.1));
        assertThrows(IllegalArgumentException.class, () -> view(Constraints.perplexityOnly(0.1), 0.5));
    }

    @Test
    void aCancelledSweepEndsWhenItsRunsEnd() {
        run("done", PruneSpec.unstructured(PruneMethod.WANDA, 0.3), 6.2, 1000, 0.02, 400, null);
        join.accept(request("skipped", "s", PruneSpec.unstructured(PruneMethod.WANDA, 0.5)));
        assertEquals("cancelling", SweepReports.view("s", join.sweep("s"), true, Constraints.perplexityOnly(0.1), null,
                carbon).status());
        join.accept(new RunFailed("skipped", T0.plusSeconds(1), RunStage.CANCELLED, "cancelled by the user", null));
        SweepView view = SweepReports.view("s", join.sweep("s"), true, Constraints.perplexityOnly(0.1), null, carbon);
        assertEquals("cancelled", view.status());
        assertTrue(view.finished());
        assertEquals(RunStatus.CANCELLED, view.runs().get(1).status());
    }
}
