package dev.prunelab.evaluator.app;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.report.LmEvalResults;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.InputRoots;
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
 * publish (or a {@link RunFailed} with its stage and one-line reason). Its Kafka adapter
 * ({@code EvaluatorKafkaAdapter}) decodes, calls {@link #perform} one model at a time and publishes. The suite's
 * settings and the event's figures come from {@link EvaluationMapper}.
 *
 * <p>Idempotent by run id, and safe with several evaluators on one store, by the {@link ClaimedWork} protocol: the
 * outcome is recorded in the artifact store before it is returned (a model.evaluated also under
 * {@code evaluations/}, with its report), and a redelivered run gets that event back (same occurredAt, so the same
 * CloudEvents id) instead of a second evaluation; a failure is recorded and answered again the same way; and a run
 * is evaluated by one replica at a time (a claim in the store): another replica that receives it waits for that
 * one's outcome, or takes over once its heartbeat has been silent for the lease (it died).
 *
 * <p>The perplexity text a request names is read only inside the {@link InputRoots}; failure reasons name files
 * relative to their root.
 */
public final class Evaluator {
    private static final Logger LOG = Logger.getLogger(Evaluator.class.getName());
    private static final EventCodec CODEC = new EventCodec();

    /** What {@link #perform} reports while it runs (metrics, progress events). */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** The model passed verification and its evaluation starts. */
        default void started(String runId) {
        }

        default void progress(RunProgress progress) {
        }
    }

    /** The store's name for the work of evaluating a run (claims and recorded outcomes). */
    public static final String WORK = "evaluate";

    private final ArtifactStore store;
    private final ClaimedWork work;
    private final InputRoots roots;
    private final ResultStore results;
    private final String host;
    private final EnergyBenchmark.Environment energy;
    private final Clock clock;
    private final int defaultThreads;
    private final boolean spinning;

    /**
     * @param host           the host name measurement windows carry (the energy meter names its samples the same way)
     * @param defaultThreads ONNX Runtime threads for requests that name none (0 = one per core idle at the start)
     * @param spinning       whether ONNX Runtime's pool threads spin between operators
     *                       ({@code prunelab.evaluator.spinning})
     */
    public Evaluator(ArtifactStore store, InputRoots roots, ResultStore results, String host,
            EnergyBenchmark.Environment energy, Clock clock, int defaultThreads, boolean spinning) {
        if (defaultThreads < 0) {
            throw new IllegalArgumentException("prunelab.evaluator.threads must be >= 0 (0 = auto), was "
                    + defaultThreads);
        }
        this.defaultThreads = defaultThreads;
        this.spinning = spinning;
        this.store = store;
        this.work = new ClaimedWork(store);
        this.roots = roots;
        this.results = results;
        this.host = host;
        this.energy = energy;
        this.clock = clock;
    }

    /**
     * Evaluates one pruned model by the {@link ClaimedWork} protocol: its recorded outcome (or stored evaluation) if
     * it has one, else the evaluation under this replica's claim, its outcome recorded before it is returned. What
     * the work lets out, and a store that fails, is a failure at stage evaluate: the evaluator's own stage, so the
     * gateway believes it from this source. Never throws for a bad artifact or a failed evaluation.
     */
    public ClaimedWork.Outcome perform(ModelPruned event, Observer observer) {
        String runId = event.runId();
        return work.perform(WORK, runId, () -> previousResult(runId), () -> run(event, observer),
                e -> failed(runId, RunStage.EVALUATE, e));
    }

    private Event run(ModelPruned event, Observer observer) {
        Path model;
        EvaluationSpec spec;
        try {
            model = store.verify(event.artifact());
            spec = confined(event.evaluation());
        } catch (IOException | RuntimeException e) {
            return failed(event.runId(), RunStage.VALIDATE, e);
        }
        try {
            observer.started(event.runId());
            return evaluate(event, spec, model, observer::progress);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return failed(event.runId(), RunStage.EVALUATE, e);
        }
    }

    /** The evaluation with its perplexity text checked: inside the input roots, and there. */
    private EvaluationSpec confined(EvaluationSpec spec) {
        if (spec.perplexity() == null || spec.perplexity().text() == null) {
            return spec;
        }
        InputRoots.Confined text = roots.resolve("evaluation.perplexity.text", spec.perplexity().text());
        if (!Files.isRegularFile(text.path())) {
            throw new InvalidSetting("evaluation.perplexity.text", text.display() + " does not exist");
        }
        return spec.withPerplexityText(text.path().toString());
    }

    /** Evaluates, stores the report and the event, and returns the event. */
    private ModelEvaluated evaluate(ModelPruned event, EvaluationSpec spec, Path model,
            Consumer<RunProgress> progressSink) throws IOException {
        String runId = event.runId();
        EvaluationSuite.Settings settings = EvaluationMapper.settings(model, spec, energyReference(event),
                defaultThreads, spinning);
        ProgressReporter progress = new ProgressReporter(runId, EvaluationMapper.sections(settings), progressSink,
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
        EvaluationMetrics metrics = EvaluationMapper.metrics(report, reportFile.toUri().toString());
        MeasurementWindow window = new MeasurementWindow(start, end, host,
                EvaluationMapper.device(report), report.provider());
        ModelEvaluated evaluated = new ModelEvaluated(runId, clock.instant(), metrics, window,
                EvaluationMapper.energy(report));
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

    /** The failure with its reason naming files relative to their roots, not where they are on the server. */
    private RunFailed failed(String runId, RunStage stage, Throwable e) {
        String reason = roots.redact(RunFailed.reasonOf(e)).replace(store.root() + "/", "artifacts:");
        return new RunFailed(runId, clock.instant(), stage, reason);
    }
}
