package dev.prunelab.gateway.cli;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.SweepView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The joined results of a sweep as a text table, then the Pareto front and the recommendation. Columns: run, method
 * ("dense" for the reference), setting (sparsity, N:M pattern or structured target/ratio/score), status, perplexity,
 * parameters, size MB, decode tokens/s and decode mJ/token with their 95% intervals, the decode speed-up against
 * dense with its interval ("=" when it is inside the noise), the pruner's joules, the break-even in generated tokens,
 * carbon g, mark ({@code P} on the Pareto front, {@code *} recommended). A missing number is "-".
 */
public final class SweepTable {

    private static final List<String> HEADER = List.of("run", "method", "setting", "status", "ppl", "params",
            "size MB", "decode tok/s [95%]", "speed-up [95%]", "decode mJ/tok [95%]", "prune J", "break-even tok",
            "carbon g", "mark");
    private static final int LEFT_COLUMNS = 4;

    private SweepTable() {
    }

    public static String format(SweepView sweep) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        boolean estimated = false;
        for (RunView run : sweep.runs()) {
            RunView.Results r = run.results();
            PruneSpec prune = run.request() == null ? null : run.request().prune();
            estimated |= r != null && Boolean.TRUE.equals(r.energyEstimated());
            rows.add(List.of(
                    run.runId(),
                    prune == null ? "-" : prune.label().startsWith("dense") ? "dense" : prune.method().id(),
                    prune == null || prune.isDense() ? "-" : prune.label().startsWith("dense") ? "w" + prune.weightBits()
                            : setting(prune),
                    run.status().id(),
                    number(r, RunView.Results::perplexity, "%.3f"),
                    r == null || r.parameterCount() == null ? "-" : count(r.parameterCount()),
                    r == null || r.sizeBytes() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.sizeBytes() / 1e6),
                    r == null || r.decodeTokensPerSecond() == null ? "-" : String.format(Locale.ROOT, "%.0f [%.0f, %.0f]",
                            r.decodeTokensPerSecond().median(), r.decodeTokensPerSecond().low(),
                            r.decodeTokensPerSecond().high()),
                    prune != null && prune.isDense() && r != null && r.decodeSpeedup() != null ? "reference"
                    : r == null || r.decodeSpeedup() == null ? "-" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]%s",
                            r.decodeSpeedup().estimate(), r.decodeSpeedup().low(), r.decodeSpeedup().high(),
                            r.decodeSpeedup().isDifference() ? "" : " ="),
                    r == null || r.decodeJoulesPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]",
                            r.decodeJoulesPerToken().mean() * 1e3, r.decodeJoulesPerToken().low() * 1e3,
                            r.decodeJoulesPerToken().high() * 1e3),
                    number(r, RunView.Results::pruneJoules, "%.1f"),
                    breakEven(run),
                    number(r, RunView.Results::carbonGrams, "%.4f"),
                    (run.pareto() ? "P" : "") + (run.recommended() ? "*" : "")));
        }
        StringBuilder out = new StringBuilder();
        out.append("sweep ").append(sweep.sweepId()).append(": ").append(sweep.status()).append(' ')
                .append(sweep.counts()).append('\n');
        appendAligned(out, rows);
        SweepView.Front front = sweep.pareto();
        if (front != null) {
            out.append("P = Pareto front on ").append(String.join(", ", front.objectives()))
                    .append(" (overlapping intervals are a tie): ").append(front.runIds().isEmpty()
                            ? "no completed run yet" : String.join(", ", front.runIds())).append('\n');
        }
        out.append("= : the speed-up's interval contains 1, no difference from dense");
        boolean paired = sweep.runs().stream().anyMatch(r -> r.versusDense() != null && r.versusDense().paired()
                && !(r.request() != null && r.request().prune().isDense()));
        out.append(paired ? "; speed-ups from repeats paired with dense's in the same window\n" : "\n");
        if (estimated) {
            out.append("energy: estimated from each process's CPU time (no power sensor here); see each run's basis\n");
        }
        if (sweep.carbon() != null) {
            out.append(String.format(Locale.ROOT, "carbon: %.0f gCO2e/kWh, PUE %.2f%n",
                    sweep.carbon().intensityGramsPerKwh(), sweep.carbon().pue()));
        }
        out.append(recommendation(sweep.recommendation())).append('\n');
        return out.toString();
    }

    private static String breakEven(RunView run) {
        if (run.results() == null || run.versusDense() == null || run.request() == null || run.request().prune().isDense()) {
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

    /** "0.5", "2:4 dsnot", "mlp+heads 0.3 flap w4": the target, then the refinement and the weight width. */
    static String setting(PruneSpec prune) {
        String width = prune.weightBits() == null ? "" : " w" + prune.weightBits();
        if (prune.method().isStructured()) {
            return prune.structured().target().id() + " " + trim(prune.structured().ratio()) + " "
                    + prune.structured().score().id() + width;
        }
        return (prune.sparsity() != null ? trim(prune.sparsity()) : prune.pattern())
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
