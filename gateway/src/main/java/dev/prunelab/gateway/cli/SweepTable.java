package dev.prunelab.gateway.cli;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.Ratio;
import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.SweepView;
import dev.prunelab.gateway.VersusDense;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.LayerSparsity;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The joined results of a sweep as a text table, then the Pareto front and the recommendation. The comparable
 * figures lead: after run, method ("dense" for the reference), setting (sparsity, N:M pattern or structured
 * target/ratio/score), status, perplexity, parameters and size MB come the decode energy and the decode speed-up
 * against dense with their 95% intervals ("=" when the interval contains 1, no difference) and how each run was
 * compared ("paired" in one window with dense, "unpaired" conservatively from two windows). Then the absolute decode
 * mJ/token and tokens/s, each measured in the run's own window (its start, UTC, in "window"), the energy source
 * ("estimate" for the CPU-time estimate, with "+prune" when the pruner's energy has another source), the
 * pruner's joules, the break-even in generated tokens, carbon g, mark ({@code P} on the Pareto front,
 * {@code *} recommended). A missing number is "-".
 */
public final class SweepTable {

    private static final List<String> HEADER = List.of("run", "method", "setting", "status", "ppl", "params",
            "size MB", "energy/dense [95%]", "speed-up [95%]", "vs dense", "decode mJ/tok [95%]",
            "decode tok/s [95%]", "window", "source", "prune J", "break-even tok", "carbon g", "mark");
    private static final int LEFT_COLUMNS = 4;
    private static final DateTimeFormatter WINDOW = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private SweepTable() {
    }

    public static String format(SweepView sweep) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        boolean estimated = false;
        List<String> notes = new ArrayList<>();
        for (RunView run : sweep.runs()) {
            RunView.Results r = run.results();
            PruneSpec prune = run.request() == null ? null : run.request().prune();
            estimated |= r != null && Boolean.TRUE.equals(r.energyEstimated());
            boolean reference = prune != null && prune.isDense() && run.versusDense() != null;
            VersusDense versus = run.versusDense();
            rows.add(List.of(
                    run.runId(),
                    prune == null ? "-" : prune.label().startsWith("dense") ? "dense" : prune.method().id(),
                    prune == null || prune.isDense() ? "-" : prune.label().startsWith("dense") ? "w" + prune.weightBits()
                            : setting(prune),
                    run.status().id(),
                    number(r, RunView.Results::perplexity, "%.3f"),
                    r == null || r.parameterCount() == null ? "-" : count(r.parameterCount()),
                    r == null || r.sizeBytes() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.sizeBytes() / 1e6),
                    reference ? "reference" : ratio(versus == null ? null : versus.decodeEnergyRatio()),
                    reference ? "reference" : ratio(versus == null ? null : versus.decodeSpeedup()),
                    reference || versus == null ? "-" : versus.paired() ? "paired" : "unpaired",
                    r == null || r.decodeJoulesPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]",
                            r.decodeJoulesPerToken().mean() * 1e3, r.decodeJoulesPerToken().low() * 1e3,
                            r.decodeJoulesPerToken().high() * 1e3),
                    r == null || r.decodeTokensPerSecond() == null ? "-" : String.format(Locale.ROOT, "%.0f [%.0f, %.0f]",
                            r.decodeTokensPerSecond().median(), r.decodeTokensPerSecond().low(),
                            r.decodeTokensPerSecond().high()),
                    run.energy() == null ? "-" : WINDOW.format(run.energy().start()),
                    source(run),
                    number(r, RunView.Results::pruneJoules, "%.1f"),
                    breakEven(run),
                    number(r, RunView.Results::carbonGrams, "%.4f"),
                    (run.pareto() ? "P" : "") + (run.recommended() ? "*" : "")));
            if (run.notes() != null) {
                run.notes().forEach(note -> notes.add(run.runId() + ": " + note));
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("sweep ").append(sweep.sweepId()).append(": ").append(sweep.status()).append(' ')
                .append(sweep.counts()).append('\n');
        appendAligned(out, rows);
        SweepView.Front front = sweep.pareto();
        if (front != null) {
            out.append("P = Pareto front on ").append(String.join(", ", front.objectives()))
                    .append(" (overlapping intervals are a tie): ").append(front.runIds().isEmpty()
                            ? "no completed run yet" : String.join(", ", front.runIds()))
                    .append(front.note() == null ? "" : "; " + front.note()).append('\n');
        }
        out.append("energy/dense, speed-up: the run's decode J/token and tokens/s over dense's; paired = measured in one "
                + "window with dense's repeats; unpaired = conservative, from two windows; = : the interval contains 1, "
                + "no difference from dense\n");
        out.append("decode mJ/tok, tok/s: absolute, each from its run's own window (start, UTC): compare runs by the "
                + "ratios, not by these\n");
        if (estimated) {
            out.append("source estimate: energy estimated from each process's CPU time (no power sensor read), not "
                    + "measured; carbon of an estimate is an estimate\n");
        }
        notes.forEach(note -> out.append("note: ").append(note).append('\n'));
        if (sweep.carbon() != null) {
            out.append(String.format(Locale.ROOT, "carbon: %.0f gCO2e/kWh, PUE %.2f%n",
                    sweep.carbon().intensityGramsPerKwh(), sweep.carbon().pue()));
        }
        out.append(recommendation(sweep.recommendation())).append('\n');
        return out.toString();
    }

    /** "0.63 [0.57, 0.68]", with " =" when the interval contains 1; "-" when there is none. */
    private static String ratio(Ratio ratio) {
        return ratio == null ? "-" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]%s", ratio.estimate(), ratio.low(),
                ratio.high(), ratio.isDifference() ? "" : " =");
    }

    /** The energy stage's source, with the pruner's when it differs: "rapl+prune estimate". */
    static String source(RunView run) {
        EnergySource stage = run.energy() == null ? null : run.energy().source();
        EnergySource prune = run.pruneEnergy() == null ? null : run.pruneEnergy().source();
        if (stage == null && prune == null) {
            return "-";
        }
        if (stage == null) {
            return "prune " + prune.id();
        }
        return stage.id() + (prune == null || prune == stage ? "" : "+prune " + prune.id());
    }

    private static String breakEven(RunView run) {
        if (run.results() == null || run.versusDense() == null || run.versusDense().decodeEnergyRatio() == null
                || run.request() == null || run.request().prune().isDense()) {
            return "-";
        }
        Double tokens = run.results().breakEvenTokens();
        return tokens == null ? "never" : String.format(Locale.ROOT, "%.0f", tokens);
    }

    static String recommendation(SweepView.Recommendation rec) {
        if (rec == null) {
            return "recommendation: none";
        }
        String limit = String.format(Locale.ROOT, "perplexity at most %.0f%% above", rec.maxPerplexityIncrease() * 100);
        String baseline = rec.baseline() == null ? "" : String.format(Locale.ROOT, " %s %.3f%s (limit %.3f)",
                rec.baseline().source(), rec.baseline().perplexity(),
                rec.baseline().runId() == null ? "" : " of " + rec.baseline().runId(), rec.perplexityLimit());
        String choice = rec.runId() == null ? "none" : rec.runId() + " (" + rec.label() + ")";
        Constraints c = rec.constraints();
        String more = c == null ? "" : (c.minSpeedup() == null ? "" : String.format(Locale.ROOT,
                ", speed-up >= %.2f", c.minSpeedup())) + (c.maxMemoryMb() == null ? ""
                : String.format(Locale.ROOT, ", peak memory <= %.0f MiB", c.maxMemoryMb()));
        return "* recommendation, " + limit + baseline + more + ": " + choice
                + (rec.reason() == null ? "" : "\n  why: " + rec.reason())
                + (rec.note() == null ? "" : "\n  note: " + rec.note());
    }

    /**
     * "0.5", "0.7 owl", "2:4 dsnot", "mlp+heads 0.3 flap w4": the target, then a layer allocation that is not
     * uniform, the refinement and the weight width.
     */
    static String setting(PruneSpec prune) {
        String width = prune.weightBits() == null ? "" : " w" + prune.weightBits();
        if (prune.method().isStructured()) {
            return prune.structured().target().id() + " " + trim(prune.structured().ratio()) + " "
                    + prune.structured().score().id() + width;
        }
        return (prune.sparsity() != null ? trim(prune.sparsity()) : prune.pattern())
                + (prune.layerSparsity() == LayerSparsity.UNIFORM ? "" : " " + prune.layerSparsity().id())
                + (prune.refine() == null ? "" : " " + prune.refine().id()) + width;
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }

    static String count(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        }
        return Long.toString(n);
    }

    private static String number(RunView.Results r, Function<RunView.Results, Double> get, String format) {
        Double value = r == null ? null : get.apply(r);
        return value == null ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static void appendAligned(StringBuilder out, List<List<String>> rows) {
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int c = 0; c < row.size(); c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.size(); c++) {
                String cell = row.get(c);
                boolean left = c < LEFT_COLUMNS;
                String pad = " ".repeat(widths[c] - cell.length());
                line.append(c == 0 ? "" : "  ").append(left ? cell + pad : pad + cell);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
