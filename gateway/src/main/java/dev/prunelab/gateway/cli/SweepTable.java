package dev.prunelab.gateway.cli;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.SweepView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The joined results of a sweep as a text table, then the Pareto front and the recommendation. Columns: run, method,
 * setting (sparsity, N:M pattern or structured target/ratio/score), status, perplexity, parameters, size MB,
 * decode tokens/s, energy J, carbon g, mark ({@code P} on the Pareto front, {@code *} recommended). A missing
 * number is "-".
 */
public final class SweepTable {

    private static final List<String> HEADER = List.of("run", "method", "setting", "status", "ppl", "params",
            "size MB", "tok/s", "energy J", "carbon g", "mark");

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
                    prune == null ? "-" : prune.isDense() ? "dense" : prune.method().id(),
                    prune == null || prune.isDense() ? "-" : setting(prune),
                    run.status().id(),
                    number(r, RunView.Results::perplexity, "%.3f"),
                    r == null || r.parameterCount() == null ? "-" : count(r.parameterCount()),
                    r == null || r.sizeBytes() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.sizeBytes() / 1e6),
                    number(r, RunView.Results::tokensPerSecond, "%.1f"),
                    number(r, RunView.Results::energyJoules, "%.1f"),
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
                    .append(" (lower is better): ").append(front.runIds().isEmpty() ? "no completed run yet"
                            : String.join(", ", front.runIds())).append('\n');
        }
        if (estimated) {
            out.append("energy: estimated (CPU utilisation x TDP) where no power sensor exists\n");
        }
        out.append(recommendation(sweep.recommendation())).append('\n');
        return out.toString();
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
        return "* recommendation, " + limit + baseline + ": " + choice
                + (rec.note() == null ? "" : "\n  note: " + rec.note());
    }

    static String setting(PruneSpec prune) {
        if (prune.method().isStructured()) {
            return prune.structured().target() + " " + trim(prune.structured().ratio()) + " " + prune.structured().score();
        }
        return prune.sparsity() != null ? trim(prune.sparsity()) : prune.pattern();
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
                boolean left = c <= 3;
                String pad = " ".repeat(widths[c] - cell.length());
                line.append(c == 0 ? "" : "  ").append(left ? cell + pad : pad + cell);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
