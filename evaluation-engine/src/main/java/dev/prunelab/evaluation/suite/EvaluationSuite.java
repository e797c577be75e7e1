package dev.prunelab.evaluation.suite;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.quality.PerplexityEvaluator.PerplexityResult;
import dev.prunelab.evaluation.quality.PerplexityEvaluator;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.report.ModelTokenizer;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.speed.ReadBandwidthProbe;
import dev.prunelab.evaluation.speed.WeightTraffic;
import dev.prunelab.evaluation.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluation.zeroshot.TaskResult;
import dev.prunelab.evaluation.zeroshot.ZeroShotEvaluator;
import dev.prunelab.evaluation.zeroshot.ZeroShotItem;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.StrictUtf8;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.PerplexityProtocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * The evaluation suite as {@code ./lab eval} runs it (perplexity, zero-shot tasks, latency, memory) and as the
 * evaluator service runs it for a pruned model: one place, so both produce the same result document.
 */
public final class EvaluationSuite {
    public static final String DEFAULT_TEXT = "text/tinystories/validation.txt";
    public static final String DEFAULT_WIKITEXT = "text/wikitext-2-raw/wiki.test.raw";

    private EvaluationSuite() {
    }

    /**
     * What to measure. A null section does not run.
     *
     * @param providerRequested cpu, cuda or auto as asked (recorded in the report)
     * @param threads           ONNX Runtime intra-op threads, 0 = one per core
     * @param spinning          let ONNX Runtime's pool threads spin between operators (asked for; off by default)
     */
    public record Settings(Path model, ExecutionProvider providerRequested, int threads, PerplexitySettings perplexity,
                           TaskSettings tasks, LatencyBenchmark.Settings latency, EnergyBenchmark.Settings energy,
                           ReferenceModel energyReference, boolean spinning) {
        public Settings {
            if (model == null) {
                throw new IllegalArgumentException("the model directory is missing");
            }
            if (perplexity == null && tasks == null && latency == null && energy == null) {
                throw new IllegalArgumentException("nothing to measure: no perplexity, tasks, latency or energy");
            }
            if (energyReference != null && energy == null) {
                throw new IllegalArgumentException("an energy reference needs the energy stage");
            }
        }

        /** Pool threads that never spin. */
        public Settings(Path model, ExecutionProvider providerRequested, int threads, PerplexitySettings perplexity,
                        TaskSettings tasks, LatencyBenchmark.Settings latency, EnergyBenchmark.Settings energy,
                        ReferenceModel energyReference) {
            this(model, providerRequested, threads, perplexity, tasks, latency, energy, energyReference, false);
        }

        /** Without an energy reference. */
        public Settings(Path model, ExecutionProvider providerRequested, int threads, PerplexitySettings perplexity,
                        TaskSettings tasks, LatencyBenchmark.Settings latency, EnergyBenchmark.Settings energy) {
            this(model, providerRequested, threads, perplexity, tasks, latency, energy, null);
        }

        public RuntimeOptions runtimeOptions() {
            return new RuntimeOptions(providerRequested, threads, spinning);
        }
    }

    /** A model the energy stage measures beside this one, in the same window (the sweep's dense run). */
    public record ReferenceModel(String runId, Path directory) {
    }

    /**
     * @param text       the text file; null = the shipped default text of the protocol
     * @param protocol   paragraphs or wikitext
     * @param window     tokens per window; null = the model's context length
     * @param maxWindows score only the first N windows; null = all
     */
    public record PerplexitySettings(Path text, PerplexityProtocol protocol, Integer window, Integer maxWindows) {
        public PerplexitySettings {
            if (protocol == null) {
                throw new InvalidSetting("protocol", "is missing");
            }
            if (maxWindows != null && maxWindows < 1) {
                throw new InvalidSetting("maxWindows", maxWindows + " must be positive");
            }
        }

        /** The text file scored: the given one, or the shipped default for the protocol. */
        public Path textFile() {
            return text != null ? text : SharedData.path(protocol == PerplexityProtocol.WIKITEXT ? DEFAULT_WIKITEXT : DEFAULT_TEXT);
        }
    }

    /**
     * @param limit      first N items of each task; null = all
     * @param dataFolder folder of the task files; null = the shared data's eval/
     */
    public record TaskSettings(List<ZeroShotTask> tasks, Integer limit, Path dataFolder,
                               OnnxLoglikelihoodScorer.Strategy strategy) {
        public TaskSettings {
            tasks = List.copyOf(tasks);
            if (tasks.isEmpty()) {
                throw new InvalidSetting("tasks", "none given");
            }
            if (limit != null && limit < 1) {
                throw new InvalidSetting("limit", "must be positive, was " + limit);
            }
            if (strategy == null) {
                strategy = OnnxLoglikelihoodScorer.Strategy.AUTO;
            }
        }

        public Path folder() {
            return dataFolder != null ? dataFolder : SharedData.path(ZeroShotTask.DATA_FOLDER);
        }
    }

    /** Progress of the sections: the CLI draws bars, the service publishes progress events. */
    @FunctionalInterface
    public interface Progress {
        /**
         * A section starts: "perplexity", a task id, "latency" or "energy", with {@code total} steps; the returned
         * consumer receives the number of steps done.
         */
        IntConsumer begin(String section, int total);

        Progress NONE = (section, total) -> done -> { };
    }

    /**
     * Runs every section asked for, in the order perplexity, tasks, latency, energy. Inputs (text file, task
     * files) are read before the model is loaded, so a missing file fails fast. The energy stage measures inside
     * the environment's exclusive window; the other sections may overlap other work. The latency and energy
     * sections time their phases with the environment's clock.
     */
    public static EvaluationReport run(Settings settings, EnergyBenchmark.Environment environment, Progress progress)
            throws IOException {
        ThreadPolicy.beginSample();   // auto threads: the idle cores over reading the inputs, no pause of its own
        Path textFile = null;
        if (settings.perplexity() != null) {
            textFile = settings.perplexity().textFile();
            if (!Files.isRegularFile(textFile)) {
                throw new IllegalArgumentException("text file " + textFile + " does not exist");
            }
        }
        // read every task file before loading the model: a malformed file fails fast
        List<List<ZeroShotItem>> taskItems = new ArrayList<>();
        TaskSettings tasks = settings.tasks();
        if (tasks != null) {
            for (ZeroShotTask task : tasks.tasks()) {
                taskItems.add(task.load(tasks.folder(), tasks.limit() == null ? 0 : tasks.limit()));
            }
        }

        Instant startedAt = Instant.now();
        // latency alone needs no tokenizer (synthesized checkpoints are exported without one)
        boolean needsTokenizer = textFile != null || tasks != null;
        // one CUDA ordinal for the session and the meter: the environment's GPU
        RuntimeOptions runtime = environment.runtime(settings.runtimeOptions());
        try (DecoderSession session = DecoderSession.open(settings.model(), runtime);
             TextTokenizer tokenizer = needsTokenizer ? ModelTokenizer.open(session) : null) {
            String provider = session.providerUsed();
            EvaluationReport.Perplexity perplexity = null;
            if (textFile != null) {
                perplexity = new EvaluationReport.Perplexity(provider, textFile.toAbsolutePath().toString(),
                        settings.perplexity().protocol().id(),
                        perplexity(session, tokenizer, textFile, settings.perplexity(), progress));
            }
            EvaluationReport.ZeroShot zeroShot = null;
            if (tasks != null) {
                OnnxLoglikelihoodScorer scorer = new OnnxLoglikelihoodScorer(session, tokenizer, tasks.strategy());
                List<TaskResult> results = new ArrayList<>();
                for (int i = 0; i < tasks.tasks().size(); i++) {
                    ZeroShotTask task = tasks.tasks().get(i);
                    List<ZeroShotItem> items = taskItems.get(i);
                    results.add(ZeroShotEvaluator.evaluate(task, items, scorer, progress.begin(task.id(), items.size())));
                }
                zeroShot = EvaluationReport.ZeroShot.of(provider, tasks.limit(),
                        tasks.strategy().name().toLowerCase(Locale.ROOT), results);
            }
            EvaluationReport.Latency latencyResult = null;
            LatencyBenchmark.Settings latency = settings.latency();
            if (latency != null) {
                IntConsumer bar = progress.begin("latency", latency.runs());
                var latencies = LatencyBenchmark.run(session, latency, bar, environment.monotonicNanos());
                // the probe runs right after, in the same process and with the session's threads, so the two
                // figures describe the same machine state
                var bandwidth = ReadBandwidthProbe.measure(session.threads(), ReadBandwidthProbe.DEFAULT_BYTES,
                        Math.max(3, latency.repeats()));
                latencyResult = EvaluationReport.Latency.of(provider, latency, session.loadSeconds(), latencies,
                        session.threads(), WeightTraffic.bytesPerToken(session.directory()), bandwidth);
            }
            EvaluationReport.Energy energy = null;
            GpuDevice.Board board = null;
            if (settings.energy() != null) {
                IntConsumer bar = progress.begin("energy", settings.energy().runs());
                EnergyBenchmark.Result result;
                ReferenceModel reference = settings.energyReference();
                if (reference == null) {
                    result = EnergyBenchmark.run(session, settings.energy(), environment, bar);
                } else {
                    try (DecoderSession referenceSession = DecoderSession.open(reference.directory(), runtime)) {
                        result = EnergyBenchmark.run(session,
                                new EnergyBenchmark.Reference(reference.runId(), referenceSession), settings.energy(),
                                environment, bar);
                    }
                }
                energy = EvaluationReport.Energy.of(provider, result);
                board = result.board();
            }
            EvaluationReport.Gpu gpu = session.cudaDevice() < 0 ? null
                    : EvaluationReport.Gpu.of(environment.gpu(), board);
            return EvaluationReport.of(session, settings.providerRequested().id(), settings.threads(), gpu,
                    startedAt, Instant.now(), perplexity, zeroShot, latencyResult, energy,
                    new EvaluationReport.Memory(ProcessMemory.peakRssBytes(), EvaluationReport.Memory.NOTE));
        }
    }

    private static PerplexityResult perplexity(DecoderSession session, TextTokenizer tokenizer, Path textFile,
            PerplexitySettings settings, Progress progress) throws IOException {
        int contextLength = session.card().contextLength();
        int windowTokens = settings.window() != null ? settings.window() : contextLength;
        if (windowTokens < 2 || windowTokens > contextLength) {
            throw new InvalidSetting("window", "must be between 2 and the model's context length " + contextLength
                    + ", was " + windowTokens);
        }
        String content;
        try {
            content = StrictUtf8.read(textFile);
        } catch (StrictUtf8.NotUtf8Exception e) {
            throw new InvalidSetting("perplexity.text", e.getMessage() + " (" + textFile + ")");
        }
        int[] stream = settings.protocol() == PerplexityProtocol.WIKITEXT
                ? TokenWindows.wikitextStream(tokenizer, content)
                : TokenWindows.paragraphStream(tokenizer, content, session.card().bosTokenId());
        List<int[]> windows = TokenWindows.windows(stream, windowTokens);
        if (settings.maxWindows() != null) {
            windows = windows.subList(0, Math.min(settings.maxWindows(), windows.size()));
        }
        return PerplexityEvaluator.evaluate(session, windows, progress.begin("perplexity", windows.size()));
    }
}
