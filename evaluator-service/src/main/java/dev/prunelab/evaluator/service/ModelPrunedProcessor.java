package dev.prunelab.evaluator.service;

import dev.prunelab.evaluator.energy.EnergyBenchmark;
import dev.prunelab.evaluator.report.EvaluationReport;
import dev.prunelab.evaluator.report.LmEvalResults;
import dev.prunelab.evaluator.suite.EvaluationSuite;
import dev.prunelab.events.ArtifactStore;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * model.pruned in, model.evaluated (or run.failed) out. One message at a time on a worker thread; the message is
 * acknowledged when this method returns, i.e. after the result was sent, so a service killed mid-evaluation gets
 * the message again after its restart.
 *
 * <p>Idempotent by run id: the published event is stored in the artifact store before it is sent, and a
 * redelivered run re-publishes that stored event (same occurredAt, so the same CloudEvents id) instead of
 * evaluating again.
 */
@ApplicationScoped
public class ModelPrunedProcessor {

    public static final String SERVICE = "evaluator-service";
    public static final String STAGE_VALIDATE = "validate";
    private static final Logger LOG = Logger.getLogger(ModelPrunedProcessor.class);
    private static final EventCodec CODEC = new EventCodec();

    private final EventPublisher publisher;
    private final ArtifactStore store;
    private final ResultStore results;
    private final EvaluatorConfig.Host host;
    private final EnergyBenchmark.Environment energyEnvironment;
    private final Clock clock = Clock.systemUTC();
    private final Counter started;
    private final Counter finished;
    private final Counter failed;
    private final Timer evaluateDuration;

    @Inject
    public ModelPrunedProcessor(EventPublisher publisher, ArtifactStore store, ResultStore results,
            EvaluatorConfig.Host host, EnergyBenchmark.Environment energyEnvironment, MeterRegistry registry) {
        this.publisher = publisher;
        this.store = store;
        this.results = results;
        this.host = host;
        this.energyEnvironment = energyEnvironment;
        this.started = registry.counter("prunelab.runs.started", "service", SERVICE);
        this.finished = registry.counter("prunelab.runs.finished", "service", SERVICE);
        this.failed = registry.counter("prunelab.runs.failed", "service", SERVICE);
        this.evaluateDuration = Timer.builder("prunelab.stage.duration")
                .tags("service", SERVICE, "stage", ProgressReporter.STAGE)
                .register(registry);
    }

    @Incoming("models-pruned")
    @Blocking(ordered = true)
    public void onModelPruned(String json) {
        ModelPruned event;
        try {
            event = CODEC.decode(json, ModelPruned.class);
        } catch (InvalidEventException e) {
            LOG.warnf("dead letter %s: %s", e.runId(), e.getMessage());
            failed.increment();
            publisher.sendAndAwait(RunFailed.invalidInput(e, clock.instant()));
            return;
        }
        Optional<ModelEvaluated> previous = previousResult(event.runId());
        if (previous.isPresent()) {
            LOG.infof("run %s was evaluated before: re-publishing its result", event.runId());
            publisher.sendAndAwait(previous.get());
            return;
        }
        Path model;
        try {
            model = store.verify(event.artifact());
        } catch (IOException | RuntimeException e) {
            fail(event.runId(), STAGE_VALIDATE, e);
            return;
        }
        ModelEvaluated result;
        try {
            result = evaluate(event, model);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            fail(event.runId(), ProgressReporter.STAGE, e);
            return;
        }
        publisher.sendAndAwait(result);
        finished.increment();
    }

    /** Evaluates, stores the report and the event, and returns the event to publish. */
    private ModelEvaluated evaluate(ModelPruned event, Path model) throws IOException {
        String runId = event.runId();
        started.increment();
        EvaluationSuite.Settings settings = EvaluationRequest.settings(model, event.evaluation(),
                energyReference(event));
        ProgressReporter progress = new ProgressReporter(runId, EvaluationRequest.sections(settings),
                publisher::sendAndForget, clock);
        progress.started();
        Timer.Sample timing = Timer.start();
        Instant start = clock.instant();
        EvaluationReport report = EvaluationSuite.run(settings, energyEnvironment, progress);
        Instant end = clock.instant();
        timing.stop(evaluateDuration);
        progress.finished();

        Path reportFile = results.writeReport(runId, EvaluationReport.JSON.writeValueAsString(report));
        if (report.zeroShot() != null) {
            results.writeLmEval(runId, EvaluationReport.JSON.writeValueAsString(LmEvalResults.of(report)));
        }
        EvaluationMetrics metrics = EvaluationRequest.metrics(report, reportFile.toUri().toString());
        MeasurementWindow window = new MeasurementWindow(start, end, host.name(),
                EvaluationRequest.device(report.provider()), report.provider());
        ModelEvaluated evaluated = new ModelEvaluated(runId, clock.instant(), metrics, window,
                report.energy() == null ? null : report.energy().summary());
        results.writeEvent(runId, CODEC.encode(evaluated));
        LOG.infof("run %s evaluated in %s: %s", runId, window.duration(), metrics);
        return evaluated;
    }

    /**
     * The energy stage's reference model (the sweep's dense run), when the request names one and its artifact is
     * committed in the store; otherwise the stage runs unpaired (the log says why).
     */
    private EvaluationSuite.ReferenceModel energyReference(ModelPruned event) {
        var energy = event.evaluation().energy();
        if (energy == null || energy.referenceRunId() == null) {
            return null;
        }
        try {
            Path directory = store.resolve(energy.referenceRunId());
            if (java.nio.file.Files.isRegularFile(directory.resolve(dev.prunelab.contracts.DecoderIo.MODEL_FILE))) {
                return new EvaluationSuite.ReferenceModel(energy.referenceRunId(), directory);
            }
            LOG.warnf("run %s: energy reference %s is not in the store (yet): measuring unpaired", event.runId(),
                    energy.referenceRunId());
        } catch (RuntimeException e) {
            LOG.warnf("run %s: energy reference %s refused (%s): measuring unpaired", event.runId(),
                    energy.referenceRunId(), e.getMessage());
        }
        return null;
    }

    private Optional<ModelEvaluated> previousResult(String runId) {
        try {
            return results.event(runId).map(json -> CODEC.decode(json, ModelEvaluated.class));
        } catch (IOException | InvalidEventException e) {
            LOG.warnf("stored result of run %s is unreadable (%s): evaluating again", runId, e.getMessage());
            return Optional.empty();
        }
    }

    private void fail(String runId, String stage, Throwable e) {
        String reason = oneLine(e);
        LOG.warnf("run %s failed at %s: %s", runId, stage, reason);
        failed.increment();
        publisher.sendAndAwait(new RunFailed(runId, clock.instant(), stage, reason, null));
    }

    /** The first line of the message, or the exception's name when it has none. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
