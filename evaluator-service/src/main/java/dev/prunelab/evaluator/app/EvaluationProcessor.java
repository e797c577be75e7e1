package dev.prunelab.evaluator.app;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.report.LmEvalResults;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.events.ArtifactStore;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.vocabulary.RunStage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The evaluator service's core, in plain Java: turns one {@link ModelPruned} into the {@link ModelEvaluated} to
 * publish (or a {@link RunFailed} with its stage and one-line reason). The Kafka adapter decodes, calls
 * {@link #process} one model at a time and publishes.
 *
 * <p>Idempotent by run id: the event is stored in the artifact store before it is returned, and a redelivered run
 * gets that stored event back (same occurredAt, so the same CloudEvents id) instead of a second evaluation.
 */
public final class EvaluationProcessor {
    private static final Logger LOG = Logger.getLogger(EvaluationProcessor.class.getName());
    private static final EventCodec CODEC = new EventCodec();

    /** What {@link #process} reports while it runs (metrics, progress events). */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** The model passed verification and its evaluation starts. */
        default void started(String runId) {
        }

        default void progress(RunProgress progress) {
        }
    }

    private final ArtifactStore store;
    private final ResultStore results;
    private final String host;
    private final EnergyBenchmark.Environment energy;
    private final Clock clock;

    /** @param host the host name measurement windows carry (the energy meter names its samples the same way) */
    public EvaluationProcessor(ArtifactStore store, ResultStore results, String host,
            EnergyBenchmark.Environment energy, Clock clock) {
        this.store = store;
        this.results = results;
        this.host = host;
        this.energy = energy;
        this.clock = clock;
    }

    /** Evaluates one pruned model; never throws for a bad artifact or a failed evaluation. */
    public Event process(ModelPruned event, Observer observer) {
        Optional<ModelEvaluated> previous = previousResult(event.runId());
        if (previous.isPresent()) {
            LOG.info("run " + event.runId() + " was evaluated before: its stored result again");
            return previous.get();
        }
        Path model;
        try {
            model = store.verify(event.artifact());
        } catch (IOException | RuntimeException e) {
            return failed(event.runId(), RunStage.VALIDATE, e);
        }
        try {
            observer.started(event.runId());
            return evaluate(event, model, observer::progress);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return failed(event.runId(), RunStage.EVALUATE, e);
        }
    }

    /** Evaluates, stores the report and the event, and returns the event. */
    private ModelEvaluated evaluate(ModelPruned event, Path model, Consumer<RunProgress> progressSink)
            throws IOException {
        String runId = event.runId();
        EvaluationSuite.Settings settings = EvaluationRequest.settings(model, event.evaluation(),
                energyReference(event));
        ProgressReporter progress = new ProgressReporter(runId, EvaluationRequest.sections(settings), progressSink,
                clock);
        progress.started();
        Instant start = clock.instant();
        EvaluationReport report = EvaluationSuite.run(settings, energy, progress);
        Instant end = clock.instant();
        progress.finished();

        Path reportFile = results.writeReport(runId, EvaluationReport.JSON.writeValueAsString(report));
        if (report.zeroShot() != null) {
            results.writeLmEval(runId, EvaluationReport.JSON.writeValueAsString(LmEvalResults.of(report)));
        }
        EvaluationMetrics metrics = EvaluationRequest.metrics(report, reportFile.toUri().toString());
        MeasurementWindow window = new MeasurementWindow(start, end, host,
                EvaluationRequest.device(report.provider()), report.provider());
        ModelEvaluated evaluated = new ModelEvaluated(runId, clock.instant(), metrics, window,
                report.energy() == null ? null : report.energy().summary());
        results.writeEvent(runId, CODEC.encode(evaluated));
        LOG.info("run " + runId + " evaluated in " + window.duration() + ": " + metrics);
        return evaluated;
    }

    /**
     * The energy stage's reference model (the sweep's dense run), when the request names one and its artifact is
     * committed in the store; otherwise the stage runs unpaired (the log says why).
     */
    private EvaluationSuite.ReferenceModel energyReference(ModelPruned event) {
        var spec = event.evaluation().energy();
        if (spec == null || spec.referenceRunId() == null) {
            return null;
        }
        try {
            Path directory = store.resolve(spec.referenceRunId());
            if (Files.isRegularFile(directory.resolve(DecoderIo.MODEL_FILE))) {
                return new EvaluationSuite.ReferenceModel(spec.referenceRunId(), directory);
            }
            LOG.warning("run " + event.runId() + ": energy reference " + spec.referenceRunId()
                    + " is not in the store (yet): measuring unpaired");
        } catch (RuntimeException e) {
            LOG.warning("run " + event.runId() + ": energy reference " + spec.referenceRunId() + " refused ("
                    + e.getMessage() + "): measuring unpaired");
        }
        return null;
    }

    private Optional<ModelEvaluated> previousResult(String runId) {
        try {
            return results.event(runId).map(json -> CODEC.decode(json, ModelEvaluated.class));
        } catch (IOException | InvalidEventException e) {
            LOG.warning("stored result of run " + runId + " is unreadable (" + e.getMessage() + "): evaluating again");
            return Optional.empty();
        }
    }

    private RunFailed failed(String runId, RunStage stage, Throwable e) {
        return RunFailed.of(runId, clock.instant(), stage, e);
    }
}
