package dev.prunelab.evaluator.service;

import dev.prunelab.evaluator.app.Evaluator;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.service.RunMetrics;
import dev.prunelab.service.WorkEdge;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.Backoff;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.Outbox;
import dev.prunelab.work.Pause;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The evaluator's Kafka adapter: model.pruned in, its core ({@link Evaluator}) one message at a time on a worker
 * thread (it records each run's outcome in the store), model.evaluated (or run.failed) out. The message is
 * acknowledged once its outcome was recorded and sent, or, with the broker away, left to the relay
 * ({@link WorkEdge}); a service killed mid-evaluation gets the message again after its restart (and the evaluator
 * answers a recorded outcome rather than evaluating twice).
 */
@ApplicationScoped
public class EvaluatorKafkaAdapter {

    public static final String SERVICE = "evaluator-service";
    /** The store's name for the evaluator's dead letters (its relay publishes those and the runs' outcomes). */
    static final String DEAD_LETTERS = "decode.evaluator";
    private static final Logger LOG = Logger.getLogger(EvaluatorKafkaAdapter.class);

    private final Evaluator evaluator;
    private final EvaluationOutcomePublisher publisher;
    private final WorkEdge<ModelPruned> edge;
    private final RunMetrics metrics;

    @Inject
    public EvaluatorKafkaAdapter(Evaluator evaluator, EvaluationOutcomePublisher publisher, ArtifactStore store,
            Backoff backoff, MeterRegistry registry) {
        this.evaluator = evaluator;
        this.publisher = publisher;
        this.metrics = new RunMetrics(registry, SERVICE, RunStage.Owner.EVALUATOR);
        Outbox outbox = new Outbox(store.outcomes(), publisher.sender()::sendAndAwait, backoff, Pause.SLEEP,
                Clock.systemUTC());
        this.edge = new WorkEdge<>(ModelPruned.class, Evaluator.WORK, DEAD_LETTERS, outbox,
                Clock.systemUTC(), deadLetter -> {
                    LOG.warnf("dead letter %s: %s", deadLetter.runId(), deadLetter.reason());
                    metrics.failed(deadLetter.stage());
                });
    }

    @Incoming("model-pruned")
    @Blocking(ordered = true)
    public CompletionStage<Void> onModelPruned(Message<String> message) {
        // acknowledged after the outcome is recorded, as a String payload would be after processing: a crash mid-run
        // redelivers it
        return edge.onMessage(message, this::evaluate);
    }

    /** Publishes the outcomes the broker did not take when they were recorded, this replica's or another's. */
    // the first pass waits until the outgoing channels are connected: an emitter used before that logs an error
    @Scheduled(every = "${prunelab.relay.every}", delayed = "${prunelab.relay.first-after}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void relay() {
        edge.relay();
    }

    private ClaimedWork.Outcome evaluate(ModelPruned event) {
        Evaluation evaluation = new Evaluation();
        ClaimedWork.Outcome outcome = evaluator.perform(event, evaluation);
        boolean ran = evaluation.started();
        if (ran) {
            metrics.stage(RunStage.EVALUATE.id(), evaluation.elapsed());
        }
        if (outcome.event() instanceof RunFailed failure) {
            LOG.warnf("run %s failed at %s: %s", failure.runId(), failure.stage().id(), failure.reason());
            metrics.failed(failure.stage());
        } else if (outcome.event() instanceof ModelEvaluated && ran) {
            metrics.finished();
        }
        return outcome;
    }

    /** One run's evaluation as this replica sees it: timed from its start (after verification), progress published. */
    private final class Evaluation implements Evaluator.Observer {
        private long startedNanos = -1;

        @Override
        public void started(String runId) {
            startedNanos = System.nanoTime();
            metrics.started();
        }

        @Override
        public void progress(RunProgress progress) {
            publisher.sender().sendProgress(progress);
        }

        /** Whether this replica evaluated (not a recorded outcome answered again). */
        boolean started() {
            return startedNanos >= 0;
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startedNanos);
        }
    }
}
