package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.ExecutionProvider;

/**
 * What the evaluator measures for a run. Sections that are absent do not run; with none at all, perplexity runs
 * with its defaults (a run without a quality number would be useless to the Pareto front).
 *
 * @param energy   the energy stage's workload (docs/energy.md "The energy stage"); absent = no energy stage
 * @param provider cpu (default), cuda or auto
 * @param threads  ONNX Runtime intra-op threads; absent = the evaluator's prunelab.evaluator.threads (default 0: one
 *                 per core idle when the evaluation starts)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationSpec(PerplexitySpec perplexity, TasksSpec tasks, LatencySpec latency, EnergySpec energy,
                             ExecutionProvider provider, Integer threads) {

    public EvaluationSpec {
        if (perplexity == null && tasks == null && latency == null) {
            perplexity = new PerplexitySpec(null, null, null, null);
        }
        provider = provider == null ? ExecutionProvider.CPU : provider;
        Check.positiveOrNull("threads", threads);
    }

    /** Without an energy stage. */
    public EvaluationSpec(PerplexitySpec perplexity, TasksSpec tasks, LatencySpec latency, ExecutionProvider provider,
                          Integer threads) {
        this(perplexity, tasks, latency, null, provider, threads);
    }

    /** The same evaluation with its energy stage paired with {@code runId}'s model; unchanged without one. */
    public EvaluationSpec withEnergyReference(String runId) {
        return energy == null ? this
                : new EvaluationSpec(perplexity, tasks, latency, energy.withReference(runId), provider, threads);
    }

    /** The same evaluation with its perplexity text at {@code text} (the checked place of the one it names). */
    public EvaluationSpec withPerplexityText(String text) {
        return perplexity == null ? this : new EvaluationSpec(new PerplexitySpec(text, perplexity.protocol(),
                perplexity.window(), perplexity.maxWindows()), tasks, latency, energy, provider, threads);
    }

    /** Perplexity on the shipped text with the model's window, on the CPU. */
    public static EvaluationSpec defaults() {
        return new EvaluationSpec(null, null, null, null, null, null);
    }
}
