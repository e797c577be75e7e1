package dev.prunelab.evaluation.report;

import dev.prunelab.evaluation.zeroshot.TaskResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The zero-shot section in lm-evaluation-harness's results layout, so tools that read the harness's output read
 * ours: {@code results.{task}.{"acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none",
 * "perplexity,none"}} (the ",none" is the harness's filter name), with {@code versions}, {@code n-shot},
 * {@code n-samples} and a {@code config} naming what ran. Task names are the harness's ({@code openbookqa}).
 */
public final class LmEvalResults {

    private LmEvalResults() {
    }

    public static Map<String, Object> of(EvaluationReport report) {
        EvaluationReport.ZeroShot zeroShot = report.zeroShot();
        if (zeroShot == null) {
            throw new IllegalArgumentException("the evaluation has no zero-shot section to write as harness results");
        }
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Object> versions = new LinkedHashMap<>();
        Map<String, Object> nShot = new LinkedHashMap<>();
        Map<String, Object> nSamples = new LinkedHashMap<>();
        for (TaskResult task : zeroShot.tasks()) {
            String name = harnessName(task.task());
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("alias", name);
            metrics.put("acc,none", task.acc());
            metrics.put("acc_stderr,none", task.accStderr());
            if (task.accNorm() != null) {
                metrics.put("acc_norm,none", task.accNorm());
                metrics.put("acc_norm_stderr,none", stderr(task.accNorm(), task.items()));
            }
            if (task.perplexity() != null) {
                metrics.put("perplexity,none", task.perplexity());
            }
            results.put(name, metrics);
            versions.put(name, 1.0);
            nShot.put(name, 0);
            nSamples.put(name, Map.of("original", task.items(), "effective", task.items()));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model", "prunelab-onnxruntime");
        config.put("model_args", "path=" + report.model().path() + ",sha256=" + report.model().sha256()
                + ",provider=" + report.provider());
        config.put("batch_size", 1);
        config.put("limit", zeroShot.limit());
        config.put("protocol", zeroShot.protocol());
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("results", results);
        document.put("versions", versions);
        document.put("n-shot", nShot);
        document.put("n-samples", nSamples);
        document.put("config", config);
        document.put("date", report.endedAt());
        return document;
    }

    /** The harness's sample standard error of a proportion, sqrt(p (1 - p) / (n - 1)). */
    static double stderr(double p, int n) {
        return n > 1 ? Math.sqrt(p * (1 - p) / (n - 1)) : 0;
    }

    /** Our task ids are the harness's except OpenBookQA's. */
    static String harnessName(String id) {
        return id.equals("openbook_qa") ? "openbookqa" : id;
    }
}
