package dev.prunelab.evaluator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.prunelab.contracts.console.ProgressBar;
import dev.prunelab.evaluator.report.EvaluationReport;
import dev.prunelab.evaluator.report.ResultTable;
import dev.prunelab.evaluator.speed.LatencyBenchmark;
import dev.prunelab.evaluator.suite.EvaluationSuite;
import dev.prunelab.evaluator.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluator.zeroshot.ZeroShotTask;
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
                + "latency and throughput, memory. With no metric option it runs perplexity on the default text.",
                "Result document: README \"Evaluation result\" (schema version 2)."})
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
    String protocol;

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

    @Option(names = "--json", paramLabel = "OUT", description = "write the result document to this file")
    Path json;

    @Override
    public Integer call() throws IOException {
        if (!EvaluationSuite.PROTOCOLS.contains(protocol)) {
            throw new IllegalArgumentException("unknown protocol '" + protocol + "' (expected paragraphs or wikitext)");
        }
        OnnxLoglikelihoodScorer.Strategy strategy = strategy(scoring);
        List<ZeroShotTask> taskList = tasks == null ? List.of() : ZeroShotTask.parseList(tasks);
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be positive, was " + limit);
        }
        boolean perplexityRequested = text != null || window != null || maxWindows != null
                || (taskList.isEmpty() && !latency);
        EvaluationSuite.PerplexitySettings perplexity = perplexityRequested
                ? new EvaluationSuite.PerplexitySettings(text, protocol, window, maxWindows) : null;
        EvaluationSuite.TaskSettings taskSettings = taskList.isEmpty() ? null
                : new EvaluationSuite.TaskSettings(taskList, limit, taskData, strategy);
        LatencyBenchmark.Settings latencySettings = latency
                ? new LatencyBenchmark.Settings(promptTokens, newTokens, batchSizes, repeats, warmups, 1234)
                : null;
        EvaluationSuite.Settings settings = new EvaluationSuite.Settings(modelOptions.model, modelOptions.provider,
                modelOptions.threads, perplexity, taskSettings, latencySettings);
        EvaluationReport report = EvaluationSuite.run(settings, (section, total) ->
                new ProgressBar("perplexity".equals(section) || "latency".equals(section) ? section
                        : String.format("%-14s", section), total)::update);
        System.out.print(ResultTable.render(report));
        if (json != null) {
            write(report, json);
            System.out.printf("%-12s %s%n", "json", json);
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
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
