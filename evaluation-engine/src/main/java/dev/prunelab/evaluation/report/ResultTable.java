package dev.prunelab.evaluation.report;

import dev.prunelab.evaluation.energy.EnergySummary;
import dev.prunelab.evaluation.speed.LatencyBenchmark.BatchLatency;
import dev.prunelab.evaluation.zeroshot.TaskResult;
import java.util.Locale;

/** The result document as readable text for the terminal. */
public final class ResultTable {
    private ResultTable() {
    }

    public static String render(EvaluationReport report) {
        StringBuilder out = new StringBuilder();
        EvaluationReport.Model model = report.model();
        line(out, "model", model.path());
        line(out, "family", model.family() + ", " + String.format(Locale.ROOT, "%,d", model.parameterCount())
                + " parameters" + (model.nonZeroParameterCount() == null ? ""
                        : String.format(Locale.ROOT, " (%,d non-zero, %.1f%% zeros)", model.nonZeroParameterCount(),
                                100.0 * (model.parameterCount() - model.nonZeroParameterCount())
                                        / Math.max(1, model.parameterCount()))));
        line(out, "size", String.format(Locale.ROOT, "%,d bytes (%s)", model.sizeBytes(), mebibytes(model.sizeBytes())));
        line(out, "provider", report.provider() + (report.providerNote() == null ? "" : " (" + report.providerNote() + ")"));
        if (report.gpu() != null) {
            line(out, "gpu", report.gpu().deviceName() + (report.gpu().name() == null ? "" : ", " + report.gpu().name())
                    + "; " + report.gpu().mapping());
        }
        line(out, "load", String.format(Locale.ROOT, "%.2f s", report.runtime().loadSeconds()));
        EvaluationReport.Perplexity perplexity = report.perplexity();
        if (perplexity != null) {
            out.append('\n');
            line(out, "text", perplexity.text() + " (" + perplexity.protocol() + " protocol, window " + perplexity.window()
                    + ", " + perplexity.windows() + " windows)");
            line(out, "loss", String.format(Locale.ROOT, "%.4f", perplexity.loss()));
            line(out, "perplexity", String.format(Locale.ROOT, "%.4f", perplexity.perplexity()));
            line(out, "tokens", String.format(Locale.ROOT, "%,d scored", perplexity.scoredTokens()));
            line(out, "tokens/s", String.format(Locale.ROOT, "%.1f (%.2f s)", perplexity.tokensPerSecond(),
                    perplexity.seconds()));
        }
        EvaluationReport.ZeroShot zeroShot = report.zeroShot();
        if (zeroShot != null) {
            out.append('\n');
            out.append(String.format(Locale.ROOT, "%-16s %6s %8s %8s %10s %8s%n", "task", "items", "acc", "acc_norm",
                    "perplexity", "seconds"));
            for (TaskResult task : zeroShot.tasks()) {
                out.append(String.format(Locale.ROOT, "%-16s %6d %8.4f %8s %10s %8.1f%n", task.task(), task.items(),
                        task.acc(), task.accNorm() == null ? "-" : String.format(Locale.ROOT, "%.4f", task.accNorm()),
                        task.perplexity() == null ? "-" : String.format(Locale.ROOT, task.perplexity() < 1e6 ? "%.2f" : "%.3e", task.perplexity()),
                        task.seconds()));
            }
            out.append(String.format(Locale.ROOT, "%-16s %6s %8.4f %8s%n", "mean", "", zeroShot.meanAcc(),
                    zeroShot.meanAccNorm() == null ? "-" : String.format(Locale.ROOT, "%.4f", zeroShot.meanAccNorm())));
        }
        EvaluationReport.Latency latency = report.latency();
        if (latency != null) {
            out.append('\n');
            out.append(String.format(Locale.ROOT, "latency: prompt %d tokens, %d new tokens, %d repeats (median / p90)%n",
                    latency.promptTokens(), latency.newTokens(), latency.repeats()));
            out.append(String.format(Locale.ROOT, "%-6s %20s %20s %22s %22s%n", "batch", "TTFT ms", "TPOT ms",
                    "output tokens/s", "decode tokens/s"));
            for (BatchLatency row : latency.results()) {
                out.append(String.format(Locale.ROOT, "%-6d %9.2f / %8.2f %9.3f / %8.3f %10.1f / %9.1f %10.1f / %9.1f%n",
                        row.batch(), row.ttftMillis().median(), row.ttftMillis().p90(), row.tpotMillis().median(),
                        row.tpotMillis().p90(), row.outputTokensPerSecond().median(), row.outputTokensPerSecond().p90(),
                        row.decodeTokensPerSecond().median(), row.decodeTokensPerSecond().p90()));
            }
            if (latency.weightBytesPerToken() != null) {
                out.append(String.format(Locale.ROOT, "weights read per decode step %.1f MB; threads %d%n",
                        latency.weightBytesPerToken() / 1e6, latency.threads()));
                for (BatchLatency row : latency.results()) {
                    if (row.weightBytesPerSecond() != null) {
                        out.append(String.format(Locale.ROOT, "batch %-3d weight bytes/s %6.2f GB/s (p90 %.2f)%s%n",
                                row.batch(), row.weightBytesPerSecond().median() / 1e9,
                                row.weightBytesPerSecond().p90() / 1e9, latency.readBandwidth() == null ? ""
                                        : String.format(Locale.ROOT, " = %.0f%% of the probe's read bandwidth",
                                                100 * row.weightBytesPerSecond().median()
                                                        / latency.readBandwidth().bytesPerSecond().median())));
                    }
                }
            }
            if (latency.readBandwidth() != null) {
                var probe = latency.readBandwidth();
                out.append(String.format(Locale.ROOT, "read bandwidth %.2f GB/s (median of %d, %.2f-%.2f), %d MiB "
                        + "streamed by %d threads%n", probe.bytesPerSecond().median() / 1e9, probe.repeats(),
                        probe.bytesPerSecond().min() / 1e9, probe.bytesPerSecond().max() / 1e9,
                        probe.bufferBytes() >> 20, probe.threads()));
            }
        }
        EvaluationReport.Energy energy = report.energy();
        if (energy != null && energy.summary() == null) {
            out.append('\n');
            line(out, "energy", "not measured: " + energy.unavailable());
        } else if (energy != null) {
            var m = energy.summary();
            var w = m.workload();
            out.append('\n');
            out.append(String.format(Locale.ROOT, "energy: %s, prompt %d tokens, %d decode steps, batch %d, %d repeats "
                    + "(mean [95%% interval]; speed: median [interval])%n", m.source().id(), w.promptTokens(),
                    w.decodeTokens(), w.batch(), w.repeats()));
            line(out, "source", m.basis());
            if (m.selection() != null) {
                line(out, "selection", m.selection());
            }
            line(out, "baseline", String.format(Locale.ROOT, "%.2f W %s%s, waited %.1f s for the window",
                    m.baseline().watts(), m.baseline().basis() == null
                            ? String.format(Locale.ROOT, "over %.1f s", m.baseline().seconds())
                            : "(" + m.baseline().basis() + ")",
                    m.baseline().hostUtilisation() == null ? ""
                            : String.format(Locale.ROOT, ", host %.0f%% busy", 100 * m.baseline().hostUtilisation()),
                    m.waitedSeconds()));
            line(out, "prefill", perToken(m.prefillJoulesPerToken()));
            line(out, "decode", perToken(m.decodeJoulesPerToken()));
            line(out, "TTFT", String.format(Locale.ROOT, "%.2f ms [%.2f, %.2f]", m.ttftMillis().median(),
                    m.ttftMillis().low(), m.ttftMillis().high()));
            line(out, "decode tok/s", String.format(Locale.ROOT, "%.1f [%.1f, %.1f] (coverage %.3f)",
                    m.decodeTokensPerSecond().median(), m.decodeTokensPerSecond().low(),
                    m.decodeTokensPerSecond().high(), m.decodeTokensPerSecond().confidence()));
            if (m.reference() != null) {
                var ref = m.reference();
                line(out, "reference", ref.runId() + " in the same window: decode " + perToken(ref.decodeJoulesPerToken())
                        + String.format(Locale.ROOT, ", %.1f tok/s", ref.decodeTokensPerSecond().median()));
                line(out, "vs reference", String.format(Locale.ROOT, "speed-up %.3f [%.3f, %.3f], J/token ratio %.3f "
                                + "[%.3f, %.3f] (paired repeats)", ref.decodeSpeedup().mean(), ref.decodeSpeedup().low(),
                        ref.decodeSpeedup().high(), ref.decodeEnergyRatio().mean(), ref.decodeEnergyRatio().low(),
                        ref.decodeEnergyRatio().high()));
            }
        }
        if (report.memory() != null && report.memory().peakRssBytes() != null) {
            out.append('\n');
            line(out, "peak RSS", mebibytes(report.memory().peakRssBytes()));
        }
        return out.toString();
    }

    private static String perToken(EnergySummary.PerToken perToken) {
        return String.format(Locale.ROOT, "%.3e J/token [%.3e, %.3e] gross, %.3e [%.3e, %.3e] net",
                perToken.gross().mean(), perToken.gross().low(), perToken.gross().high(), perToken.net().mean(),
                perToken.net().low(), perToken.net().high());
    }

    static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "%-12s %s%n", label, value));
    }
}
