package dev.prunelab.evaluation.report;

import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.energy.EnergySummary;
import dev.prunelab.evaluation.quality.PerplexityEvaluator.PerplexityResult;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.speed.ModelFootprint;
import dev.prunelab.evaluation.speed.ReadBandwidthProbe;
import dev.prunelab.evaluation.zeroshot.TaskResult;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.modelformat.DecoderIo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The evaluator's result document, schema version 2 (documented in docs/evaluation.md "The result document"): what was
 * measured (model identity, the protocol and settings of every metric), the figures, where (provider, host)
 * and when. Sections for metrics that did not run are absent. Version 2 adds the zeroShot, latency, memory
 * and runtime sections to version 1, turns {@code host} into an object and adds size and non-zero count to
 * {@code model}; version 3 adds the energy section, and later within it the gpu section and the energy section's
 * {@code unavailable} (both absent where they do not apply).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationReport(
        int schemaVersion,
        Model model,
        String provider,
        String providerNote,
        Gpu gpu,
        Host host,
        String startedAt,
        String endedAt,
        SessionRuntime runtime,
        Perplexity perplexity,
        ZeroShot zeroShot,
        Latency latency,
        Energy energy,
        Memory memory) {

    public static final int SCHEMA_VERSION = 3;

    /** How result documents are written: indented, instants as ISO-8601 text. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param sha256                of model.onnx (and model.onnx.data when present), identifying exactly what ran
     * @param sizeBytes             model.onnx + model.onnx.data on disk
     * @param nonZeroParameterCount null when the model card has no such field
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Model(String path, String family, long parameterCount, Long nonZeroParameterCount,
            String weightDtype, long sizeBytes, int contextLength, int vocabSize, String sha256, String sourceSha256) {
    }

    /**
     * How the ONNX Runtime session ran (the document's {@code runtime} section).
     *
     * @param providerRequested cpu, cuda or auto as asked; {@code provider} at the top level is what ran
     * @param threads           ONNX Runtime intra-op threads asked for (0 = its default, one per core)
     * @param spinning          whether ONNX Runtime's pool threads spun between operators (--spin; off by default)
     */
    public record SessionRuntime(String providerRequested, int threads, boolean spinning, String onnxRuntime,
                                 double loadSeconds) {
    }

    /**
     * The GPU the session ran on (the section is absent on the CPU): the CUDA ordinal chosen once, how it maps to the
     * physical board, and the board NVML named when the energy stage read its counter.
     *
     * @param cudaDevice the CUDA device ordinal ({@code --device}, {@code prunelab.evaluator.device})
     * @param mapping    one line: how the ordinal maps to NVML's board (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER), or
     *                   why it cannot
     * @param nvmlIndex  NVML's index of the board (PCI bus order) when the energy stage opened it, else null
     * @param uuid       the board's UUID: NVML's, else the CUDA_VISIBLE_DEVICES entry when it names one, else null
     * @param name       the board's name from NVML, else null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Gpu(int cudaDevice, String mapping, Integer nvmlIndex, String uuid, String name) {
        /** @param board the board the meter opened, or null */
        public static Gpu of(GpuDevice device, GpuDevice.Board board) {
            return board == null
                    ? new Gpu(device.cudaOrdinal(), device.mapping(), null, device.visibleUuid(), null)
                    : new Gpu(device.cudaOrdinal(), device.mapping(), board.nvmlIndex(), board.uuid(), board.name());
        }

        /**
         * The power device as a measurement window names it: "gpu2 (GPU-…)" as the meter names the board; "gpu:GPU-…"
         * when only CUDA_VISIBLE_DEVICES named it; else "cuda:N" (the ordinal; the board unknown).
         */
        public String deviceName() {
            if (nvmlIndex != null) {
                return new GpuDevice.Board(nvmlIndex, uuid, name).meterName();
            }
            return uuid != null ? "gpu:" + uuid : "cuda:" + cudaDevice;
        }
    }

    public record Host(String name, String os, String arch, int cpus, String javaVersion, long maxHeapBytes) {
        public static Host current() {
            return new Host(hostName(), System.getProperty("os.name") + " " + System.getProperty("os.version"),
                    System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), Runtime.getRuntime().maxMemory());
        }
    }

    /** @param protocol "paragraphs" or "wikitext" (docs/evaluation.md "Perplexity protocols") */
    public record Perplexity(String provider, String text, String protocol, int window, int windows, long scoredTokens,
            double loss, double perplexity, double seconds, double tokensPerSecond) {
        public Perplexity(String provider, String text, String protocol, PerplexityResult result) {
            this(provider, text, protocol, result.window(), result.windows(), result.scoredTokens(), result.loss(),
                    result.perplexity(), result.seconds(), result.tokensPerSecond());
        }
    }

    /**
     * @param limit       items per task asked for (null: all)
     * @param meanAcc     unweighted mean of the tasks' acc
     * @param meanAccNorm unweighted mean of acc_norm over the tasks that have it (all but LAMBADA)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ZeroShot(String provider, String protocol, Integer limit, String scoring, List<TaskResult> tasks,
            double meanAcc, Double meanAccNorm) {
        public static final String PROTOCOL = "lm-evaluation-harness loglikelihood, zero-shot, target delimiter ' ', "
                + "acc = argmax of summed log-likelihood, acc_norm = argmax of log-likelihood / len(choice) in "
                + "characters, lambada = greedy target accuracy and exp(-mean log-likelihood); BOS first when the "
                + "model has one; left truncation to the context window";

        public static ZeroShot of(String provider, Integer limit, String scoring, List<TaskResult> tasks) {
            double meanAcc = tasks.stream().mapToDouble(TaskResult::acc).average().orElse(Double.NaN);
            var norms = tasks.stream().filter(t -> t.accNorm() != null).mapToDouble(TaskResult::accNorm).toArray();
            Double meanNorm = norms.length == 0 ? null : Arrays.stream(norms).average().orElseThrow();
            return new ZeroShot(provider, PROTOCOL, limit, scoring, List.copyOf(tasks), meanAcc, meanNorm);
        }
    }

    /**
     * @param promptTokens P; @param newTokens N; @param warmups runs per batch size not recorded
     * @param results      per batch size (docs/evaluation.md "Latency" defines TTFT, TPOT and the rates)
     */
    public record Latency(String provider, String protocol, int promptTokens, int newTokens, int repeats, int warmups,
            double loadSeconds, List<LatencyBenchmark.BatchLatency> results, Integer threads,
            Long weightBytesPerToken, ReadBandwidthProbe.Result readBandwidth) {
        public static final String PROTOCOL = "greedy generation with the KV cache from seeded random prompts of "
                + "equal length; TTFT = prefill + first token; TPOT = decode time / (N - 1); output tokens/s = "
                + "B*N / (TTFT + decode time); decode tokens/s = B / TPOT; weight bytes/s = weight bytes read per "
                + "decode step / TPOT, beside the read bandwidth of a streaming probe run after them with the "
                + "session's threads; median and p90 over repeats";

        /**
         * @param threads       ONNX Runtime intra-op threads the session ran with
         * @param readBandwidth the probe's figure, or null when it was not run
         */
        public static Latency of(String provider, LatencyBenchmark.Settings settings, double loadSeconds,
                List<LatencyBenchmark.BatchLatency> results, int threads, long weightBytesPerToken,
                ReadBandwidthProbe.Result readBandwidth) {
            return new Latency(provider, PROTOCOL, settings.promptTokens(), settings.newTokens(), settings.repeats(),
                    settings.warmups(), loadSeconds, List.copyOf(results), threads, weightBytesPerToken,
                    readBandwidth);
        }
    }

    /**
     * The energy stage (docs/energy.md): its figures (which model.evaluated carries as they are), and every repeat's raw
     * seconds and joules per phase; or, when it could not measure (GPU work without an NVML counter, a phase too
     * short for the counter), no summary and {@code unavailable}: why, in one line.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Energy(String provider, String protocol, EnergySummary summary,
            List<EnergyBenchmark.Repeat> repeats, List<EnergyBenchmark.Repeat> referenceRepeats, String unavailable) {
        public Energy(String provider, String protocol, EnergySummary summary, List<EnergyBenchmark.Repeat> repeats,
                List<EnergyBenchmark.Repeat> referenceRepeats) {
            this(provider, protocol, summary, repeats, referenceRepeats, null);
        }

        /** The stage's result as the report holds it. */
        public static Energy of(String provider, EnergyBenchmark.Result result) {
            return new Energy(provider, PROTOCOL, result.summary(), result.repeats(), result.referenceRepeats(),
                    result.unavailable());
        }

        public static final String PROTOCOL = "inside the host's exclusive measurement window: idle baseline, "
                + "warm-up, then R repeats of a prefill of B seeded random prompts of P tokens and N greedy cached "
                + "decode steps; an energy counter read at each phase's edges; J/token = phase joules / (B*P) or "
                + "(B*N), Student's t 95% interval: gross on the log scale (geometric mean), net linear (mean); TTFT "
                + "and decode tokens/s medians with order-statistic 95% intervals; net = gross - idle (counters: "
                + "measured baseline watts x seconds; estimate: its model's idle share); with a reference model its "
                + "repeats alternate with this model's (A B B A ...) and the pairs' ratios are averaged on the log "
                + "scale (geometric mean)";
    }

    /** @param peakRssBytes VmHWM of the evaluating process at the end of the run (null off Linux) */
    public record Memory(Long peakRssBytes, String note) {
        public static final String NOTE = "peak resident set of the whole evaluating JVM process (heap, ONNX "
                + "Runtime arenas, weights), /proc/self/status VmHWM";
    }

    /** The document with the sections given (null for metrics that did not run, and gpu for a CPU session). */
    public static EvaluationReport of(DecoderSession session, String providerRequested, int threads, Gpu gpu,
            Instant startedAt, Instant endedAt, Perplexity perplexity, ZeroShot zeroShot, Latency latency,
            Energy energy, Memory memory) {
        var card = session.card();
        ModelFootprint footprint = ModelFootprint.of(session.directory(), card);
        Model model = new Model(session.directory().toAbsolutePath().toString(), card.family(), card.parameterCount(),
                footprint.nonZeroParameterCount(), card.weightDtype(), footprint.sizeBytes(), card.contextLength(),
                card.vocabSize(), modelSha256(session.directory()), card.sourceSha256());
        SessionRuntime runtime = new SessionRuntime(providerRequested, threads, session.spinning(), onnxRuntimeVersion(),
                session.loadSeconds());
        return new EvaluationReport(SCHEMA_VERSION, model, session.providerUsed(), session.providerNote(), gpu,
                Host.current(), startedAt.toString(), endedAt.toString(), runtime, perplexity, zeroShot, latency,
                energy, memory);
    }

    static String onnxRuntimeVersion() {
        Package onnx = OrtEnvironment.class.getPackage();
        String version = onnx == null ? null : onnx.getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String modelSha256(Path directory) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (String name : new String[] {DecoderIo.MODEL_FILE, DecoderIo.EXTERNAL_DATA_FILE}) {
                Path file = directory.resolve(name);
                if (!Files.exists(file)) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    int read;
                    while ((read = in.read(buffer)) > 0) {
                        digest.update(buffer, 0, read);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + directory, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
