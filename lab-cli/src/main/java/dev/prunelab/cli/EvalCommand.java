package dev.prunelab.cli;

import dev.prunelab.console.ProgressBar;
import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.report.LmEvalResults;
import dev.prunelab.evaluation.report.ResultTable;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluation.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
import dev.prunelab.vocabulary.PerplexityProtocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Measure an exported model: perplexity, zero-shot tasks (lm-evaluation-harness definitions), "
                + "latency and throughput, energy per token, memory. With no metric option it runs perplexity on the "
                + "default text.", "Result document: docs/evaluation.md \"The result document\" (schema version 3)."})
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"--perplexity", "--text"}, paramLabel = "FILE",
            description = "measure perplexity on this text (default text: TinyStories validation for paragraphs, "
                    + "WikiText-2 test for wikitext)")
    Path text;

    @Option(names = "--protocol", defaultValue = "paragraphs", paramLabel = "paragraphs|wikitext",
            description = "paragraphs: blank-line paragraphs as BOS + pieces, one stream; wikitext: the pruning "
                    + "papers' WikiText-2 protocol, lines joined with \"\\n\\n\", no BOS (default: ${DEFAULT-VALUE})")
    PerplexityProtocol protocol;

    @Option(names = "--window", paramLabel = "N",
            description = "perplexity tokens per window (default: the model's context length)")
    Integer window;

    @Option(names = "--max-windows", paramLabel = "N", description = "score only the first N perplexity windows")
    Integer maxWindows;

    @Option(names = "--tasks", paramLabel = "a,b,c|all",
            description = "zero-shot tasks: all, or some of lambada_openai, hellaswag, piqa, arc_easy, arc_challenge, "
                    + "boolq, winogrande, openbook_qa, copa")
    String tasks;

    @Option(names = "--limit", paramLabel = "N", description = "zero-shot: the first N items of each task in file order")
    Integer limit;

    @Option(names = "--task-data", paramLabel = "DIR",
            description = "folder holding the task files (default: the shared data's eval/)")
    Path taskData;

    @Option(names = "--scoring", defaultValue = "auto", paramLabel = "auto|batched|shared-prefix",
            description = "zero-shot: choices in one padded batch, or the shared prefix once with the KV cache "
                    + "(default: ${DEFAULT-VALUE}, whichever processes fewer tokens per item; all are exact)")
    String scoring;

    @Option(names = "--latency", description = "measure TTFT, TPOT and tokens/s")
    boolean latency;

    @Option(names = "--prompt-tokens", defaultValue = "128", paramLabel = "P",
            description = "latency: prompt tokens (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", paramLabel = "N",
            description = "latency: output tokens per sequence (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--batch", defaultValue = "1,8", split = ",", paramLabel = "B",
            description = "latency: batch sizes (default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(names = "--repeats", defaultValue = "5", paramLabel = "N",
            description = "latency: recorded runs per batch size (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--warmups", defaultValue = "1", paramLabel = "N",
            description = "latency: unrecorded warm-up runs per batch size (default: ${DEFAULT-VALUE})")
    int warmups;

    @Option(names = "--energy", description = "measure energy per token and speed with intervals (docs/energy.md): "
            + "idle baseline, warm-up, repeats of a prefill and cached decode, inside the host's exclusive window")
    boolean energy;

    @Option(names = "--energy-prompt-tokens", defaultValue = "64", paramLabel = "P",
            description = "energy: prompt tokens per sequence (default: ${DEFAULT-VALUE})")
    int energyPromptTokens;

    @Option(names = "--energy-decode-tokens", defaultValue = "192", paramLabel = "N",
            description = "energy: decode steps after the prefill, capped by the context (default: ${DEFAULT-VALUE})")
    int energyDecodeTokens;

    @Option(names = "--energy-batch", defaultValue = "1", paramLabel = "B",
            description = "energy: sequences per repeat (default: ${DEFAULT-VALUE})")
    int energyBatch;

    @Option(names = "--energy-repeats", defaultValue = "20", paramLabel = "R",
            description = "energy: recorded repeats, at least 3 (default: ${DEFAULT-VALUE})")
    int energyRepeats;

    @Option(names = "--energy-warmups", defaultValue = "1", paramLabel = "W",
            description = "energy: unrecorded repeats first (default: ${DEFAULT-VALUE})")
    int energyWarmups;

    @Option(names = "--energy-baseline-seconds", defaultValue = "2", paramLabel = "S",
            description = "energy: idle baseline sampled before the workload (default: ${DEFAULT-VALUE})")
    double energyBaselineSeconds;

    @Option(names = "--energy-reference", paramLabel = "DIR",
            description = "energy: a second exported model (the dense one) measured in the same window, repeats "
                    + "alternating, for a speed-up and energy ratio the machine's drift cannot move")
    Path energyReference;

    @Mixin
    EnergyOptions energyOptions;

    @Option(names = "--json", paramLabel = "OUT", description = "write the result document to this file")
    Path json;

    @Option(names = "--lm-eval-json", paramLabel = "OUT",
            description = "write the zero-shot results as lm-evaluation-harness's results JSON to this file")
    Path lmEvalJson;

    @Override
    public Integer call() throws IOException {
        OnnxLoglikelihoodScorer.Strategy strategy = strategy(scoring);
        List<ZeroShotTask> taskList = tasks == null ? List.of() : ZeroShotTask.parseList(tasks);
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be positive, was " + limit);
        }
        boolean perplexityRequested = text != null || window != null || maxWindows != null
                || (taskList.isEmpty() && !latency && !energy);
        EvaluationSuite.PerplexitySettings perplexity = perplexityRequested
                ? new EvaluationSuite.PerplexitySettings(text, protocol, window, maxWindows) : null;
        EvaluationSuite.TaskSettings taskSettings = taskList.isEmpty() ? null
                : new EvaluationSuite.TaskSettings(taskList, limit, taskData, strategy);
        LatencyBenchmark.Settings latencySettings = latency
                ? new LatencyBenchmark.Settings(promptTokens, newTokens, batchSizes, repeats, warmups, 1234)
                : null;
        EnergyBenchmark.Settings energySettings = energy
                ? new EnergyBenchmark.Settings(energyPromptTokens, energyDecodeTokens, energyBatch, energyRepeats,
                        energyWarmups, energyBaselineSeconds, EnergyBenchmark.Settings.SEED)
                : null;
        if (lmEvalJson != null && taskSettings == null) {
            throw new IllegalArgumentException("--lm-eval-json needs zero-shot tasks (--tasks)");
        }
        if (energyReference != null && energySettings == null) {
            throw new IllegalArgumentException("--energy-reference needs --energy");
        }
        EvaluationSuite.Settings settings = new EvaluationSuite.Settings(modelOptions.model, modelOptions.provider,
                modelOptions.threads, perplexity, taskSettings, latencySettings, energySettings,
                energyReference == null ? null : new EvaluationSuite.ReferenceModel(
                        energyReference.getFileName().toString(), energyReference), modelOptions.spin);
        EvaluationReport report = EvaluationSuite.run(settings,
                energyOptions.environment().withGpu(modelOptions.gpu()), (section, total) ->
                new ProgressBar(List.of("perplexity", "latency", "energy").contains(section) ? section
                        : String.format("%-14s", section), total)::update);
        System.out.print(ResultTable.render(report));
        if (json != null) {
            write(report, json);
            System.out.printf("%-12s %s%n", "json", json);
        }
        if (lmEvalJson != null) {
            write(LmEvalResults.of(report), lmEvalJson);
            System.out.printf("%-12s %s%n", "lm-eval", lmEvalJson);
        }
        return 0;
    }

    static OnnxLoglikelihoodScorer.Strategy strategy(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "auto" -> OnnxLoglikelihoodScorer.Strategy.AUTO;
            case "batched" -> OnnxLoglikelihoodScorer.Strategy.BATCHED;
            case "shared-prefix" -> OnnxLoglikelihoodScorer.Strategy.SHARED_PREFIX;
            default -> throw new IllegalArgumentException("unknown scoring '" + text
                    + "' (expected auto, batched or shared-prefix)");
        };
    }

    static void write(Object document, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            EvaluationReport.JSON.writeValue(file.toFile(), document);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
