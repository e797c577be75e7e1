package dev.prunelab.pruner.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.ArtifactStore;
import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EnergyUse;
import dev.prunelab.events.Event;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.StructuredSpec;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.job.PruneJob;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.RunStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The pruner service's core, in plain Java: turns one {@link RunRequested} into a pruned, exported model in the
 * {@link ArtifactStore} and the event that says so ({@link ModelPruned}, or {@link RunFailed} with the stage and
 * a one-line reason). The Kafka adapter decodes, calls {@link #process} one request at a time and publishes.
 *
 * <p>Idempotent by run id: a run whose artifact is already committed is not pruned again, its
 * {@link ModelPruned} is rebuilt from the stored {@code prune-report.json} and model card. A prune writes into
 * the store's staging directory (scratch files included), so a pruner killed mid-way leaves only that temporary
 * directory, which {@link ArtifactStore#removeAbandoned()} deletes at the next start.
 */
public final class RunProcessor {
    /** {@link RunFailed#stage()} of a request refused before any work (model or tokenizer missing). */

    /** {@link RunFailed#stage()} of a failure while committing to or reading from the store. */


    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper CODEC_JSON = new ObjectMapper();
    private static final String WORK_DIRECTORY = ".work";

    /** What {@link #process} reports to its caller while it runs (metrics, progress events). */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** The run passed validation and its pruning starts. */
        default void started(RunRequested request) {
        }

        /** A progress event to publish. */
        default void progress(RunProgress progress) {
        }
    }

    /** The pruner's energy per run, stored beside the model so that a redelivered run re-publishes it. */
    static final String ENERGY_FILE = "prune-energy.json";

    private final ArtifactStore store;
    private final Clock clock;
    private final int threads;
    private final EnergyCounters energy;
    private final HostWorkLock hostLock;
    private final Map<String, String> cancelledSweeps = new ConcurrentHashMap<>();

    /** @param threads ONNX Runtime threads for calibration forward passes; 0 = one per core */
    public RunProcessor(ArtifactStore store, Clock clock, int threads) {
        this(store, clock, threads, EnergyCounters.auto(), HostWorkLock.none());
    }

    /**
     * @param energy   how the pruner's own energy per run is read
     * @param hostLock the host's measurement lock: the prune holds a share of the host's work and pauses at every
     *                 block boundary while an energy window is open
     */
    public RunProcessor(ArtifactStore store, Clock clock, int threads, EnergyCounters energy, HostWorkLock hostLock) {
        this.store = store;
        this.clock = clock;
        this.threads = threads;
        this.energy = energy;
        this.hostLock = hostLock;
    }

    /** Remembers a cancelled sweep: its runs that have not started are skipped. */
    public void cancel(SweepCancelled cancelled) {
        cancelledSweeps.put(cancelled.sweepId(), cancelled.reason());
    }

    /** Runs one request; never throws for a bad request or a failed prune (that is the {@link RunFailed}). */
    public Event process(RunRequested request, Observer observer) {
        String runId = request.runId();
        try {
            Optional<ModelPruned> done = alreadyPruned(request);
            if (done.isPresent()) {
                return done.get();
            }
        } catch (RuntimeException | IOException e) {
            return failed(runId, RunStage.STORE, e);
        }
        if (request.sweepId() != null && cancelledSweeps.containsKey(request.sweepId())) {
            return new RunFailed(runId, clock.instant(), RunStage.CANCELLED, "sweep " + request.sweepId()
                    + " was cancelled (" + cancelledSweeps.get(request.sweepId()) + "); the run was skipped", null);
        }
        String problem = validate(request);
        if (problem != null) {
            return new RunFailed(runId, clock.instant(), RunStage.VALIDATE, problem, null);
        }
        observer.started(request);
        RunStage[] stage = {RunStage.PRUNE};
        ArtifactStore.Staging staging = null;
        RunEnergy runEnergy = RunEnergy.start(energy);
        try (PausePoints pauses = new PausePoints(hostLock)) {
            staging = store.stage(runId);
            Path work = staging.directory().resolve(WORK_DIRECTORY);
            Path out = work.resolve("model");
            Files.createDirectories(work);
            ProgressListener listener = (name, finished, total) -> {
                stage[0] = name;
                observer.progress(new RunProgress(runId, clock.instant(), name,
                        total <= 0 ? 1.0 : Math.min(1.0, (double) finished / total), message(name, finished, total)));
                pauses.between();
            };
            prune(request, out, listener);
            stage[0] = RunStage.STORE;
            try (Stream<Path> files = Files.list(out)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.move(file, staging.directory().resolve(file.getFileName()));
                }
            }
            deleteTree(work);
            EnergyUse used = runEnergy == null ? null : runEnergy.finish();
            if (used != null) {
                Files.writeString(staging.directory().resolve(ENERGY_FILE), CODEC_JSON.writeValueAsString(used));
            }
            ArtifactRef ref = staging.commit();
            staging = null;
            return new ModelPruned(runId, clock.instant(), ref, summary(store.resolve(runId), request.prune()),
                    request.evaluation(), used);
        } catch (RuntimeException | IOException | OutOfMemoryError | LinkageError e) {
            return failed(runId, stage[0], e);
        } finally {
            if (runEnergy != null) {
                runEnergy.close();
            }
            if (staging != null) {
                try {
                    deleteTree(staging.directory());
                } catch (IOException ignored) {
                    // removeAbandoned() deletes it at the next start
                }
            }
        }
    }

    /**
     * The prune's share of the host's work, given up and taken again at every block boundary, so that an energy
     * window waiting on this host opens there and the prune goes on once it closes.
     */
    private static final class PausePoints implements AutoCloseable {
        private final HostWorkLock lock;
        private HostWorkLock.Hold hold;

        PausePoints(HostWorkLock lock) {
            this.lock = lock;
            this.hold = lock.work();
        }

        void between() {
            hold.close();
            hold = lock.work();
        }

        @Override
        public void close() {
            hold.close();
        }
    }

    /** The committed artifact's {@link ModelPruned}, when this run was pruned before (a redelivered request). */
    private Optional<ModelPruned> alreadyPruned(RunRequested request) throws IOException {
        Path existing = store.root().resolve(request.runId());
        if (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        ArtifactRef ref = store.describe(request.runId());
        Path energyFile = store.resolve(request.runId()).resolve(ENERGY_FILE);
        EnergyUse used = Files.isRegularFile(energyFile)
                ? CODEC_JSON.readValue(Files.readString(energyFile), EnergyUse.class) : null;
        return Optional.of(new ModelPruned(request.runId(), clock.instant(), ref,
                summary(store.resolve(request.runId()), request.prune()), request.evaluation(), used));
    }

    /** Why the request cannot run, before any work; null when it can. */
    static String validate(RunRequested request) {
        Path model = path(request.model().path());
        if (model == null || !Files.exists(model)) {
            return "model.path: " + request.model().path() + " does not exist";
        }
        if (request.model().tokenizer() != null) {
            Path tokenizer = path(request.model().tokenizer());
            if (tokenizer == null || !Files.exists(tokenizer)) {
                return "model.tokenizer: " + request.model().tokenizer() + " does not exist";
            }
        }
        CalibrationSpec calibration = request.calibration();
        if (calibration != null && calibration.text() != null) {
            Path text = path(calibration.text());
            if (text == null || !Files.isRegularFile(text)) {
                return "calibration.text: " + calibration.text() + " does not exist";
            }
        }
        return null;
    }

    private void prune(RunRequested request, Path out, ProgressListener listener) {
        PruneSpec spec = request.prune();
        Path model = path(request.model().path());
        Optional<Path> tokenizer = Optional.ofNullable(request.model().tokenizer()).map(RunProcessor::path);
        Calibration calibration = calibration(request.calibration());
        LinearQuantization quantization = LinearQuantization.of(spec.weightBits(), spec.weightBlock());
        if (spec.method().isStructured()) {
            StructuredSpec s = spec.structured();
            PruneJob.prune(model, tokenizer, new StructuredRequest(s.target(), s.ratio(), s.score(), s.allocation(),
                    s.biasCompensation(), calibration, spec.dtype(), threads, quantization), out, listener);
        } else {
            SparsityPattern pattern = spec.sparsity() != null ? new SparsityPattern.Unstructured(spec.sparsity())
                    : SparsityPattern.parse(spec.pattern());
            PruneJob.prune(model, tokenizer, new PruneRequest(PruneRequest.method(spec.method()), pattern,
                    spec.layerSparsity(), calibration, spec.dtype(), threads, false, spec.refinement(), quantization,
                    null), out, listener);
        }
    }

    /** The request's calibration, each absent field taking the CLI's default. */
    private static Calibration calibration(CalibrationSpec spec) {
        CalibrationSpec c = spec != null ? spec : new CalibrationSpec(null, null, null, null);
        return new Calibration(c.text() != null ? path(c.text()) : PruneJob.defaultCalibrationText(),
                c.samples() != null ? c.samples() : PruneJob.DEFAULT_SAMPLES,
                c.window() != null ? c.window() : PruneJob.DEFAULT_WINDOW,
                c.seed() != null ? c.seed() : PruneJob.DEFAULT_SEED);
    }

    /**
     * The headline numbers of an exported artifact: method, requested and achieved sparsity, seconds and peak RSS
     * from its {@code prune-report.json} (unstructured/N:M schema 1 or structured-1), parameter counts from its
     * model card (counted over the exported weights). A structured run removes units rather than zeroing weights:
     * it has no requested or achieved sparsity.
     */
    public static PruneSummary summary(Path artifact, PruneSpec spec) {
        JsonNode report;
        try {
            report = JSON.readTree(artifact.resolve(PruneReport.FILE_NAME).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + artifact.resolve(PruneReport.FILE_NAME), e);
        }
        ModelCard card = ModelCard.read(artifact);
        boolean structured = StructuredReport.SCHEMA.equals(report.path("schema").asText(null));
        JsonNode total = report.path("secondsPerStage").path("total");
        JsonNode rss = report.path("peakRssBytes");
        return new PruneSummary(report.path("method").asText(spec.method().id()), spec.label(),
                structured ? null : report.path("requestedSparsity").asDouble(),
                structured ? null : report.path("achievedSparsity").asDouble(),
                card.parameterCount(), card.nonZeroParameterCount(),
                total.isNumber() ? total.asDouble() : null, rss.isNumber() ? rss.asLong() : null,
                structured ? structuredLayers(report) : unstructuredLayers(report));
    }

    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|h|layer)\\.(\\d+)\\.");

    /** Zeros over elements of each layer's pruned matrices, by the layer index in the matrix names. */
    static List<PruneSummary.Layer> unstructuredLayers(JsonNode report) {
        TreeMap<Integer, long[]> byLayer = new TreeMap<>(); // {zeros, elements}
        for (JsonNode matrix : report.path("matrices")) {
            var m = LAYER.matcher(matrix.path("name").asText());
            if (!m.find()) {
                continue;
            }
            long elements = 1;
            for (JsonNode d : matrix.path("shape")) {
                elements *= d.asLong();
            }
            long[] totals = byLayer.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new long[2]);
            totals[0] += matrix.path("zeros").asLong();
            totals[1] += elements;
        }
        List<PruneSummary.Layer> layers = new ArrayList<>();
        byLayer.forEach((layer, t) -> layers.add(new PruneSummary.Layer(layer, t[1] == 0 ? 0 : (double) t[0] / t[1],
                null, null)));
        return layers.isEmpty() ? null : layers;
    }

    /** Each source layer's parameters removed, and the heads and MLP channels it kept (dropped blocks: all). */
    static List<PruneSummary.Layer> structuredLayers(JsonNode report) {
        Map<Integer, JsonNode> after = new HashMap<>();
        for (JsonNode layer : report.path("layersAfter")) {
            after.put(layer.path("sourceLayer").asInt(layer.path("layer").asInt()), layer);
        }
        List<PruneSummary.Layer> layers = new ArrayList<>();
        for (JsonNode before : report.path("layersBefore")) {
            int index = before.path("layer").asInt();
            JsonNode kept = after.get(index);
            double parameters = before.path("parameters").asDouble();
            double removed = kept == null ? 1 : parameters <= 0 ? 0
                    : Math.min(1, Math.max(0, 1 - kept.path("parameters").asDouble() / parameters));
            layers.add(new PruneSummary.Layer(index, removed, kept == null ? 0 : kept.path("queryHeads").asInt(),
                    kept == null ? 0 : kept.path("mlpWidth").asInt()));
        }
        return layers.isEmpty() ? null : layers;
    }

    private static String message(RunStage stage, int done, int total) {
        if (stage == RunStage.EXPORT) {
            return done >= total ? "exported" : "exporting";
        }
        return done == 0 ? "starting, " + total + " blocks" : "block " + done + " of " + total;
    }

    /** A path or a {@code file:} URI; null when it is neither. */
    static Path path(String reference) {
        try {
            return reference.startsWith("file:") ? Path.of(URI.create(reference)) : Path.of(reference);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private RunFailed failed(String runId, RunStage stage, Throwable e) {
        return RunFailed.of(runId, clock.instant(), stage, e);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
