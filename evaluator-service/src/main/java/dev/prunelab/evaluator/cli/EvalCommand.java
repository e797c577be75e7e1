package dev.prunelab.evaluator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.prunelab.contracts.console.ProgressBar;
import dev.prunelab.evaluator.quality.PerplexityEvaluator;
import dev.prunelab.evaluator.quality.PerplexityEvaluator.PerplexityResult;
import dev.prunelab.evaluator.report.EvaluationReport;
import dev.prunelab.evaluator.report.ModelTokenizer;
import dev.prunelab.evaluator.report.ResultTable;
import dev.prunelab.evaluator.runtime.DecoderSession;
import dev.prunelab.evaluator.speed.LatencyBenchmark;
import dev.prunelab.contracts.ProcessMemory;
import dev.prunelab.evaluator.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluator.zeroshot.TaskResult;
import dev.prunelab.evaluator.zeroshot.ZeroShotEvaluator;
import dev.prunelab.evaluator.zeroshot.ZeroShotItem;
import dev.prunelab.evaluator.zeroshot.ZeroShotTask;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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
    static final String DEFAULT_TEXT = "text/tinystories/validation.txt";
    static final String DEFAULT_WIKITEXT = "text/wikitext-2-raw/wiki.test.raw";

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
        if (!"paragraphs".equals(protocol) && !"wikitext".equals(protocol)) {
            throw new IllegalArgumentException("unknown protocol '" + protocol + "' (expected paragraphs or wikitext)");
        }
        OnnxLoglikelihoodScorer.Strategy strategy = strategy(scoring);
        List<ZeroShotTask> taskList = tasks == null ? List.of() : ZeroShotTask.parseList(tasks);
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be positive, was " + limit);
        }
        boolean perplexityRequested = text != null || window != null || maxWindows != null
                || (taskList.isEmpty() && !latency);
        Path textFile = null;
        if (perplexityRequested) {
            textFile = text != null ? text
                    : SharedData.path("wikitext".equals(protocol) ? DEFAULT_WIKITEXT : DEFAULT_TEXT);
            if (!Files.isRegularFile(textFile)) {
                throw new IllegalArgumentException("text file " + textFile + " does not exist");
            }
        }
        LatencyBenchmark.Settings latencySettings = latency
                ? new LatencyBenchmark.Settings(promptTokens, newTokens, batchSizes, repeats, warmups, 1234)
                : null;
        // read every task file before loading the model: a malformed file fails fast
        Path taskFolder = taskData != null ? taskData : SharedData.path(ZeroShotTask.DATA_FOLDER);
        List<List<ZeroShotItem>> taskItems = new ArrayList<>();
        for (ZeroShotTask task : taskList) {
            taskItems.add(task.load(taskFolder, limit == null ? 0 : limit));
        }

        Instant startedAt = Instant.now();
        // latency alone needs no tokenizer (synthesized checkpoints are exported without one)
        boolean needsTokenizer = textFile != null || !taskList.isEmpty();
        try (DecoderSession session = DecoderSession.open(modelOptions.model, modelOptions.runtimeOptions());
             TextTokenizer tokenizer = needsTokenizer ? ModelTokenizer.open(session) : null) {
            String provider = session.providerUsed();
            EvaluationReport.Perplexity perplexity = null;
            if (textFile != null) {
                perplexity = new EvaluationReport.Perplexity(provider, textFile.toAbsolutePath().toString(), protocol,
                        perplexity(session, tokenizer, textFile));
            }
            EvaluationReport.ZeroShot zeroShot = null;
            if (!taskList.isEmpty()) {
                OnnxLoglikelihoodScorer scorer = new OnnxLoglikelihoodScorer(session, tokenizer, strategy);
                List<TaskResult> results = new ArrayList<>();
                for (int i = 0; i < taskList.size(); i++) {
                    ZeroShotTask task = taskList.get(i);
                    List<ZeroShotItem> items = taskItems.get(i);
                    ProgressBar bar = new ProgressBar(String.format("%-14s", task.id()), items.size());
                    results.add(ZeroShotEvaluator.evaluate(task, items, scorer, bar::update));
                }
                zeroShot = EvaluationReport.ZeroShot.of(provider, limit, strategy.name().toLowerCase(Locale.ROOT),
                        results);
            }
            EvaluationReport.Latency latencyResult = null;
            if (latencySettings != null) {
                ProgressBar bar = new ProgressBar("latency", latencySettings.runs());
                latencyResult = EvaluationReport.Latency.of(provider, latencySettings, session.loadSeconds(),
                        LatencyBenchmark.run(session, latencySettings, bar::update));
            }
            EvaluationReport report = EvaluationReport.of(session, modelOptions.provider, modelOptions.threads,
                    startedAt, Instant.now(), perplexity, zeroShot, latencyResult,
                    new EvaluationReport.Memory(ProcessMemory.peakRssBytes(), EvaluationReport.Memory.NOTE));
            System.out.print(ResultTable.render(report));
            if (json != null) {
                write(report, json);
                System.out.printf("%-12s %s%n", "json", json);
            }
        }
        return 0;
    }

    private PerplexityResult perplexity(DecoderSession session, TextTokenizer tokenizer, Path textFile)
            throws IOException {
        int windowTokens = window != null ? window : session.card().contextLength();
        if (windowTokens < 2 || windowTokens > session.card().contextLength()) {
            throw new IllegalArgumentException("--window must be between 2 and the model's context length "
                    + session.card().contextLength() + ", was " + windowTokens);
        }
        String content = Files.readString(textFile, StandardCharsets.UTF_8);
        int[] stream = "wikitext".equals(protocol)
                ? TokenWindows.wikitextStream(tokenizer, content)
                : TokenWindows.paragraphStream(tokenizer, content, session.card().bosTokenId());
        List<int[]> windows = TokenWindows.windows(stream, windowTokens);
        if (maxWindows != null) {
            if (maxWindows < 1) {
                throw new IllegalArgumentException("--max-windows must be positive");
            }
            windows = windows.subList(0, Math.min(maxWindows, windows.size()));
        }
        ProgressBar bar = new ProgressBar("perplexity", windows.size());
        return PerplexityEvaluator.evaluate(session, windows, bar::update);
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
