package dev.prunelab.evaluator.service;

import dev.prunelab.evaluator.app.EvaluationProcessor;
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
 * The Kafka edge of the evaluator: model.pruned in, {@link EvaluationProcessor} one message at a time on a worker
 * thread (it records each run's outcome in the store), model.evaluated (or run.failed) out. The message is
 * acknowledged once its outcome was recorded and sent, or, with the broker away, left to the relay
 * ({@link WorkEdge}); a service killed mid-evaluation gets the message again after its restart (and the processor
 * answers a recorded outcome rather than evaluating twice).
 */
@ApplicationScoped
public class ModelPrunedProcessor {

    public static final String SERVICE = "evaluator-service";
    /** The store's name for the evaluator's dead letters (its relay publishes those and the runs' outcomes). */
    static final String DEAD_LETTERS = "decode.evaluator";
    private static final Logger LOG = Logger.getLogger(ModelPrunedProcessor.class);

    private final EvaluationProcessor processor;
    private final EventPublisher publisher;
    private final WorkEdge<ModelPruned> edge;
    private final RunMetrics metrics;

    @Inject
    public ModelPrunedProcessor(EvaluationProcessor processor, EventPublisher publisher, ArtifactStore store,
            Backoff backoff, MeterRegistry registry) {
        this.processor = processor;
        this.publisher = publisher;
        this.metrics = new RunMetrics(registry, SERVICE, dev.prunelab.vocabulary.RunStage.Owner.EVALUATOR);
        Outbox outbox = new Outbox(store.outcomes(), publisher.sender()::sendAndAwait, backoff, Pause.SLEEP,
                Clock.systemUTC());
        this.edge = new WorkEdge<>(ModelPruned.class, EvaluationProcessor.WORK, DEAD_LETTERS, outbox,
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
        long[] startedAt = {-1};
        ClaimedWork.Outcome outcome = processor.perform(event, new EvaluationProcessor.Observer() {
            @Override
            public void started(String runId) {
                startedAt[0] = System.nanoTime();
                metrics.started();
            }

            @Override
            public void progress(RunProgress progress) {
                publisher.progress(progress);
            }
        });
        boolean ran = startedAt[0] >= 0;
        if (ran) {
            metrics.stage(RunStage.EVALUATE.id(), Duration.ofNanos(System.nanoTime() - startedAt[0]));
        }
        if (outcome.event() instanceof RunFailed failure) {
            LOG.warnf("run %s failed at %s: %s", failure.runId(), failure.stage().id(), failure.reason());
            metrics.failed(failure.stage());
        } else if (outcome.event() instanceof ModelEvaluated && ran) {
            metrics.finished();
        }
        return outcome;
    }
}
