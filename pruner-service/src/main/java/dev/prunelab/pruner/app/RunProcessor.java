package dev.prunelab.pruner.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.events.ArtifactRef;
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
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.InputRoots;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * <p>Idempotent by run id, and safe with several pruners on one store, by the {@link ClaimedWork} protocol: a run
 * answers its recorded outcome (its {@link ModelPruned} or {@link RunFailed}, the same event each time), or, pruned
 * by an older version or killed between commit and record, its committed artifact (its {@link ModelPruned} rebuilt
 * from the stored {@code prune-report.json} and model card); a run is pruned by one replica at a time (a claim in the
 * store); a replica that receives a run another one holds waits until that one has finished (and answers its
 * outcome) or died (its claim's lease runs out, and this one takes over). So a run never ends both failed and
 * pruned. A prune writes into the store's staging directory (scratch files
 * included), so a pruner killed mid-way leaves only that directory, which {@link ArtifactStore#removeAbandoned()}
 * deletes once its heartbeat is older than the lease.
 *
 * <p>Files a request names are read only inside the {@link InputRoots}; failure reasons name them relative to
 * their root, never by their place on the server.
 */
public final class RunProcessor {
    /** The store's name for the work of pruning a run (claims and recorded outcomes). */
    public static final String WORK = "prune";

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
    private final InputRoots roots;
    private final Clock clock;
    private final int threads;
    private final EnergyCounters energy;
    private final HostWorkLock hostLock;
    private final ClaimedWork work;
    private final Map<String, String> cancelledSweeps = new ConcurrentHashMap<>();

    /** @param threads calibration threads (ONNX Runtime and the statistics' pool); 0 = one per idle core (ThreadPolicy) */
    public RunProcessor(ArtifactStore store, InputRoots roots, Clock clock, int threads) {
        this(store, roots, clock, threads, EnergyCounters.auto(), HostWorkLock.none());
    }

    /**
     * @param roots    where a request's model, tokenizer and calibration text may be
     * @param energy   how the pruner's own energy per run is read
     * @param hostLock the host's measurement lock: the prune holds a share of the host's work and pauses at every
     *                 block boundary while an energy window is open
     */
    public RunProcessor(ArtifactStore store, InputRoots roots, Clock clock, int threads, EnergyCounters energy,
            HostWorkLock hostLock) {
        this.store = store;
        this.work = new ClaimedWork(store);
        this.roots = roots;
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
        return perform(request, observer).event();
    }

    /**
     * Runs one request by the {@link ClaimedWork} protocol: its recorded outcome (or committed artifact) if it has
     * one, else the prune under this replica's claim, its outcome recorded in the store before it is returned.
     */
    public ClaimedWork.Outcome perform(RunRequested request, Observer observer) {
        String runId = request.runId();
        return work.perform(WORK, runId, () -> alreadyPruned(request), () -> run(request, observer),
                e -> failed(runId, RunStage.STORE, e));
    }

    /** The prune itself, under this replica's claim. */
    private Event run(RunRequested request, Observer observer) {
        String runId = request.runId();
        if (request.sweepId() != null && cancelledSweeps.containsKey(request.sweepId())) {
            return new RunFailed(runId, clock.instant(), RunStage.CANCELLED, "sweep " + request.sweepId()
                    + " was cancelled (" + cancelledSweeps.get(request.sweepId()) + "); the run was skipped");
        }
        Inputs inputs;
        try {
            inputs = inputs(request);
        } catch (InvalidSetting refused) {
            return new RunFailed(runId, clock.instant(), RunStage.VALIDATE, refused.getMessage());
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
            prune(request, inputs, out, listener);
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
                    staging.discard();
                } catch (IOException ignored) {
                    // removeAbandoned() deletes it once its heartbeat is older than the lease
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

    /** The files a request names, each confined to the input roots and existing. */
    record Inputs(Path model, Optional<Path> tokenizer, Optional<Path> calibrationText) {
    }

    /** The request's files, checked before any work; an {@link InvalidSetting} names the first that is refused. */
    Inputs inputs(RunRequested request) {
        Path model = existing("model.path", request.model().path());
        Optional<Path> tokenizer = Optional.ofNullable(request.model().tokenizer())
                .map(t -> existing("model.tokenizer", t));
        CalibrationSpec calibration = request.calibration();
        Optional<Path> text = calibration == null || calibration.text() == null ? Optional.empty()
                : Optional.of(existing("calibration.text", calibration.text()));
        if (text.isPresent() && !Files.isRegularFile(text.get())) {
            throw new InvalidSetting("calibration.text", roots.resolve("calibration.text", calibration.text()).display()
                    + " is not a file");
        }
        return new Inputs(model, tokenizer, text);
    }

    private Path existing(String field, String reference) {
        InputRoots.Confined file = roots.resolve(field, reference);
        if (!file.exists()) {
            throw new InvalidSetting(field, file.display() + " does not exist");
        }
        return file.path();
    }

    private void prune(RunRequested request, Inputs inputs, Path out, ProgressListener listener) {
        PruneSpec spec = request.prune();
        Calibration calibration = calibration(request.calibration(), inputs.calibrationText());
        LinearQuantization quantization = LinearQuantization.of(spec.weightBits(), spec.weightBlock());
        if (spec.method().isStructured()) {
            StructuredSpec s = spec.structured();
            PruneJob.prune(inputs.model(), inputs.tokenizer(), new StructuredRequest(s.target(), s.ratio(), s.score(),
                    s.allocation(), s.biasCompensation(), calibration, spec.dtype(), threads, quantization), out,
                    listener);
        } else {
            SparsityPattern pattern = spec.sparsity() != null ? new SparsityPattern.Unstructured(spec.sparsity())
                    : SparsityPattern.parse(spec.pattern());
            PruneJob.prune(inputs.model(), inputs.tokenizer(), new PruneRequest(PruneRequest.method(spec.method()),
                    pattern, spec.layerSparsity(), calibration, spec.dtype(), threads, false, spec.refinement(),
                    quantization, null), out, listener);
        }
    }

    /** The request's calibration, each absent field taking the CLI's default. */
    private static Calibration calibration(CalibrationSpec spec, Optional<Path> text) {
        CalibrationSpec c = spec != null ? spec : new CalibrationSpec(null, null, null, null);
        return new Calibration(text.orElseGet(PruneJob::defaultCalibrationText),
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

    /** The failure with its reason naming files relative to their roots, not where they are on the server. */
    private RunFailed failed(String runId, RunStage stage, Throwable e) {
        String reason = roots.redact(RunFailed.reasonOf(e)).replace(store.root() + "/", "artifacts:");
        return new RunFailed(runId, clock.instant(), stage, reason);
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
