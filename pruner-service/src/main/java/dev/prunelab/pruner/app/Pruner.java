package dev.prunelab.pruner.app;

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
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.job.PruneJob;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.run.RunReport;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.InputRoots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The pruner service's core, in plain Java: turns one {@link RunRequested} into a pruned, exported model in the
 * {@link ArtifactStore} and the event that says so ({@link ModelPruned}, or {@link RunFailed} with the stage and
 * a one-line reason). Its Kafka adapter ({@code PrunerKafkaAdapter}) decodes, calls {@link #perform} one request at a
 * time and publishes. The engine's request comes from {@link EngineRequests}, the summary it publishes from the
 * report the engine returned.
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
public final class Pruner {
    /** The store's name for the work of pruning a run (claims and recorded outcomes). */
    public static final String WORK = "prune";

    /** Reads and writes the stored {@link EnergyUse}. */
    private static final ObjectMapper JSON = new ObjectMapper();
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
    private final Long maxMemoryBytes; // null: the machine's or container's memory
    private final EnergyCounters energy;
    private final HostWorkLock hostLock;
    private final ClaimedWork work;
    private final Map<String, String> cancelledSweeps = new ConcurrentHashMap<>();

    /** @param threads calibration threads (ONNX Runtime and the statistics' pool); 0 = one per idle core (ThreadPolicy) */
    public Pruner(ArtifactStore store, InputRoots roots, Clock clock, int threads) {
        this(store, roots, clock, threads, EnergyCounters.auto(), HostWorkLock.none(), null);
    }

    /**
     * @param roots    where a request's model, tokenizer and calibration text may be
     * @param energy   how the pruner's own energy per run is read
     * @param hostLock the host's measurement lock: the prune holds a share of the host's work and pauses at every
     *                 block boundary while an energy window is open
     * @param maxMemoryBytes the memory a prune may use (its largest stage is checked before the work, with the
     *                 heap's -Xmx); null = what the machine or the container has
     */
    public Pruner(ArtifactStore store, InputRoots roots, Clock clock, int threads, EnergyCounters energy,
            HostWorkLock hostLock, Long maxMemoryBytes) {
        this.maxMemoryBytes = maxMemoryBytes;
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
        ArtifactStore.Staging staging = null;
        RunEnergy runEnergy = RunEnergy.start(energy);
        StageProgress progress = new StageProgress(runId, observer);
        try (PausePoints pauses = progress.pausingAt(new PausePoints(hostLock))) {
            staging = store.stage(runId);
            Path work = staging.directory().resolve(WORK_DIRECTORY);
            Path out = work.resolve("model");
            Files.createDirectories(work);
            RunReport report = prune(request, inputs, out, progress);
            progress.stage = RunStage.STORE;
            try (Stream<Path> files = Files.list(out)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.move(file, staging.directory().resolve(file.getFileName()));
                }
            }
            deleteTree(work);
            EnergyUse used = runEnergy == null ? null : runEnergy.finish();
            if (used != null) {
                Files.writeString(staging.directory().resolve(ENERGY_FILE), JSON.writeValueAsString(used));
            }
            ArtifactRef ref = staging.commit();
            staging = null;
            return new ModelPruned(runId, clock.instant(), ref, summary(report, store.resolve(runId), request.prune()),
                    request.evaluation(), used);
        } catch (RuntimeException | IOException | OutOfMemoryError | LinkageError e) {
            return failed(runId, progress.stage, e);
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
     * The engine's progress as run.progress events, each followed by a pause point; remembers the stage the run is
     * in, which a failure names.
     */
    private final class StageProgress implements ProgressListener {
        private final String runId;
        private final Observer observer;
        private PausePoints pauses;
        private RunStage stage = RunStage.PRUNE;

        StageProgress(String runId, Observer observer) {
            this.runId = runId;
            this.observer = observer;
        }

        PausePoints pausingAt(PausePoints points) {
            this.pauses = points;
            return points;
        }

        @Override
        public void progress(RunStage name, int finished, int total) {
            stage = name;
            observer.progress(new RunProgress(runId, clock.instant(), name,
                    total <= 0 ? 1.0 : Math.min(1.0, (double) finished / total), message(name, finished, total)));
            pauses.between();
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
                ? JSON.readValue(Files.readString(energyFile), EnergyUse.class) : null;
        Path artifact = store.resolve(request.runId());
        return Optional.of(new ModelPruned(request.runId(), clock.instant(), ref,
                summary(PruneJob.report(artifact), artifact, request.prune()), request.evaluation(), used));
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

    /** The engine's prune of the request ({@link EngineRequests}), and the report it returned. */
    private RunReport prune(RunRequested request, Inputs inputs, Path out, ProgressListener listener) {
        PruneSpec spec = request.prune();
        Calibration calibration = EngineRequests.calibration(request.calibration(), inputs.calibrationText());
        return spec.method().isStructured()
                ? PruneJob.prune(inputs.model(), inputs.tokenizer(),
                        EngineRequests.structured(spec, calibration, threads), out, listener,
                        MemoryBudget.ofThisProcess(maxMemoryBytes))
                : PruneJob.prune(inputs.model(), inputs.tokenizer(),
                        EngineRequests.unstructured(spec, calibration, threads), out, listener,
                        MemoryBudget.ofThisProcess(maxMemoryBytes));
    }

    /**
     * The headline numbers of an exported artifact: method, requested and achieved sparsity, seconds, peak RSS and
     * what each layer lost, from the engine's report; parameter counts from the artifact's model card (counted over
     * the exported weights). A structured run removes units rather than zeroing weights: it has no requested or
     * achieved sparsity.
     */
    static PruneSummary summary(RunReport report, Path artifact, PruneSpec spec) {
        ModelCard card = ModelCard.read(artifact);
        RunReport.Sparsity sparsity = report.sparsity();
        Map<String, Double> seconds = report.secondsPerStage();
        List<PruneSummary.Layer> layers = report.layerRemovals().stream()
                .map(l -> new PruneSummary.Layer(l.layer(), l.removed(), l.queryHeads(), l.mlpWidth())).toList();
        return new PruneSummary(Objects.requireNonNullElse(report.method(), spec.method().id()), spec.label(),
                sparsity == null ? null : sparsity.requested(), sparsity == null ? null : sparsity.achieved(),
                card.parameterCount(), card.nonZeroParameterCount(), seconds == null ? null : seconds.get("total"),
                report.peakRssBytes(), layers.isEmpty() ? null : layers);
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
