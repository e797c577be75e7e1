package dev.prunelab.evaluator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.prunelab.evaluator.quality.PerplexityEvaluator;
import dev.prunelab.evaluator.quality.PerplexityEvaluator.PerplexityResult;
import dev.prunelab.contracts.console.ProgressBar;
import dev.prunelab.evaluator.runtime.DecoderSession;
import dev.prunelab.evaluator.report.EvaluationReport;
import dev.prunelab.evaluator.report.ModelTokenizer;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure an exported model's perplexity on a text (protocol 'paragraphs' or 'wikitext').")
final class EvalCommand implements Callable<Integer> {
    static final String DEFAULT_TEXT = "text/tinystories/validation.txt";

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"--text", "--perplexity"}, paramLabel = "FILE",
            description = "text to score (default: the shipped TinyStories validation text)")
    Path text;

    @Option(names = "--protocol", defaultValue = "paragraphs", paramLabel = "paragraphs|wikitext",
            description = "paragraphs: blank-line paragraphs as BOS + pieces, one stream; wikitext: the pruning "
                    + "papers' WikiText-2 protocol, lines joined with \"\\n\\n\", no BOS (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--window", paramLabel = "N",
            description = "tokens per window (default: the model's context length)")
    Integer window;

    @Option(names = "--max-windows", paramLabel = "N", description = "score only the first N windows")
    Integer maxWindows;

    @Option(names = "--json", paramLabel = "OUT", description = "write the result document to this file")
    Path json;

    @Override
    public Integer call() throws IOException {
        if (!"paragraphs".equals(protocol) && !"wikitext".equals(protocol)) {
            throw new IllegalArgumentException("unknown protocol '" + protocol + "' (expected paragraphs or wikitext)");
        }
        Path textFile = text != null ? text : SharedData.path(DEFAULT_TEXT);
        if (!Files.isRegularFile(textFile)) {
            throw new IllegalArgumentException("text file " + textFile + " does not exist");
        }
        Instant startedAt = Instant.now();
        try (DecoderSession session = DecoderSession.open(modelOptions.model, modelOptions.runtimeOptions());
             TextTokenizer tokenizer = ModelTokenizer.open(session)) {
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
            PerplexityResult result = PerplexityEvaluator.evaluate(session, windows, bar::update);
            System.out.printf("%-12s %s%n", "model", session.directory());
            System.out.printf("%-12s %s (%s protocol, window %d, %d windows)%n", "text", textFile, protocol,
                    result.window(), result.windows());
            System.out.printf("%-12s %.4f%n", "loss", result.loss());
            System.out.printf("%-12s %.4f%n", "perplexity", result.perplexity());
            System.out.printf("%-12s %,d scored (%,d in windows)%n", "tokens", result.scoredTokens(),
                    (long) result.windows() * result.window());
            System.out.printf("%-12s %.2f%n", "seconds", result.seconds());
            System.out.printf("%-12s %.1f%n", "tokens/s", result.tokensPerSecond());
            System.out.printf("%-12s %s%s%n", "provider", session.providerUsed(),
                    session.providerNote() == null ? "" : " (" + session.providerNote() + ")");
            if (json != null) {
                EvaluationReport report = EvaluationReport.of(session, startedAt, Instant.now(),
                        new EvaluationReport.Perplexity(textFile.toAbsolutePath().toString(), protocol, result));
                write(report, json);
                System.out.printf("%-12s %s%n", "json", json);
            }
        }
        return 0;
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
