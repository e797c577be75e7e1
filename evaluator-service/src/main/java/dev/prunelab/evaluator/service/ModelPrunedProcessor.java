package dev.prunelab.evaluator.service;

import dev.prunelab.evaluator.app.EvaluationProcessor;
import dev.prunelab.events.Event;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.service.Inbox;
import dev.prunelab.service.RunMetrics;
import dev.prunelab.vocabulary.RunStage;
import io.micrometer.core.instrument.MeterRegistry;
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
 * thread, model.evaluated (or run.failed) out. The message is acknowledged when this method returns, i.e. after the
 * result was sent, so a service killed mid-evaluation gets the message again after its restart (and the processor
 * re-publishes a stored result rather than evaluating twice).
 */
@ApplicationScoped
public class ModelPrunedProcessor {

    public static final String SERVICE = "evaluator-service";
    private static final Logger LOG = Logger.getLogger(ModelPrunedProcessor.class);

    private final EvaluationProcessor processor;
    private final EventPublisher publisher;
    private final Inbox<ModelPruned> inbox;
    private final RunMetrics metrics;

    @Inject
    public ModelPrunedProcessor(EvaluationProcessor processor, EventPublisher publisher, MeterRegistry registry) {
        this.processor = processor;
        this.publisher = publisher;
        this.metrics = new RunMetrics(registry, SERVICE, dev.prunelab.vocabulary.RunStage.Owner.EVALUATOR);
        this.inbox = new Inbox<>(ModelPruned.class, Clock.systemUTC(), deadLetter -> {
            LOG.warnf("dead letter %s: %s", deadLetter.runId(), deadLetter.reason());
            metrics.failed(deadLetter.stage());
            publisher.sender().sendAndAwait(deadLetter);
        });
    }

    @Incoming("model-pruned")
    @Blocking(ordered = true)
    public CompletionStage<Void> onModelPruned(Message<String> message) {
        // acknowledged after the work, as a String payload would be (post-processing): a crash mid-run redelivers it
        try {
            inbox.receive(message).ifPresent(this::evaluate);
            return message.ack();
        } catch (RuntimeException e) {
            return message.nack(e);
        }
    }

    private void evaluate(ModelPruned event) {
        long[] startedAt = {-1};
        Event result = processor.process(event, new EvaluationProcessor.Observer() {
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
        if (result instanceof RunFailed failure) {
            LOG.warnf("run %s failed at %s: %s", failure.runId(), failure.stage().id(), failure.reason());
            metrics.failed(failure.stage());
        } else if (result instanceof ModelEvaluated && ran) {
            metrics.finished();
        }
        publisher.sender().sendAndAwait(result);
    }
}
