package dev.prunelab.pruner.service;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.pruner.app.RunProcessor;
import dev.prunelab.service.Inbox;
import dev.prunelab.service.RunMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The Kafka edge of the pruner: run requests are decoded (or dead-lettered), pruned one at a time in order on a
 * worker thread ({@link RunProcessor}), and acknowledged only after their result (model.pruned or run.failed) was
 * sent.
 */
@ApplicationScoped
public class PrunerService {
    private static final Logger LOG = Logger.getLogger(PrunerService.class);
    static final String SERVICE = "pruner-service";

    /** Stage timer name of the time from validation to the engine's first stage: checkpoint and tokenizer loading. */
    static final String STAGE_LOAD = "load";

    private final EventCodec codec = new EventCodec();
    private final RunProcessor processor;
    private final EventPublisher publisher;
    private final RunMetrics metrics;
    private final Inbox<RunRequested> inbox;

    @Inject
    public PrunerService(RunProcessor processor, EventPublisher publisher, MeterRegistry registry) {
        this.processor = processor;
        this.publisher = publisher;
        this.metrics = new RunMetrics(registry, SERVICE, dev.prunelab.vocabulary.RunStage.Owner.PRUNER);
        this.inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetter -> {
            LOG.warnf("dead letter %s: %s", deadLetter.runId(), deadLetter.reason());
            metrics.failed(deadLetter.stage());
            publisher.sender().sendAndAwait(deadLetter);
        });
    }

    @Incoming(PrunerChannels.RUN_REQUESTED)
    @Blocking(ordered = true)
    public CompletionStage<Void> onRunRequested(Message<String> message) {
        // acknowledged after the work, as a String payload would be (post-processing): a crash mid-run redelivers it
        try {
            inbox.receive(message).ifPresent(this::prune);
            return message.ack();
        } catch (RuntimeException e) {
            return message.nack(e);
        }
    }

    private void prune(RunRequested request) {
        LOG.infof("run %s: %s on %s", request.runId(), request.prune().label(), request.model().path());
        StageClock stages = new StageClock();
        Event result = processor.process(request, new RunProcessor.Observer() {
            @Override
            public void started(RunRequested started) {
                metrics.started();
                stages.begin(STAGE_LOAD);
            }

            @Override
            public void progress(RunProgress progress) {
                stages.begin(progress.stage().id());
                publisher.progress(progress);
            }
        });
        stages.end();
        if (result instanceof ModelPruned pruned) {
            if (stages.ran()) {
                metrics.finished();
            }
            LOG.infof("run %s: pruned to %s (%d bytes)", request.runId(), pruned.artifact().uri(),
                    pruned.artifact().sizeBytes());
        } else if (result instanceof RunFailed failed) {
            metrics.failed(failed.stage());
            LOG.warnf("run %s failed at %s: %s", request.runId(), failed.stage().id(), failed.reason());
        }
        publisher.sender().sendAndAwait(result);
    }

    @Incoming(PrunerChannels.SWEEP_CANCELLED)
    public CompletionStage<Void> onSweepCancelled(Message<String> message) {
        try {
            SweepCancelled cancelled = codec.decode(message.getPayload(), SweepCancelled.class);
            Optional<String> refusal = Inbox.sourceRefusal(message, cancelled);
            if (refusal.isPresent()) {
                LOG.warn(refusal.get());
                return message.ack();
            }
            processor.cancel(cancelled);
            LOG.infof("sweep %s cancelled: its runs not yet started will be skipped", cancelled.sweepId());
        } catch (InvalidEventException e) {
            // sweep.cancelled is the gateway's compacted topic: a bad record there is logged, not dead-lettered
            // (run.failed is keyed by run, and this record belongs to no run)
            LOG.warnf("ignored an invalid sweep.cancelled record: %s", e.getMessage());
        }
        return message.ack();
    }

    /** Times each stage of one run (from the progress the engine reports) into prunelab.stage.duration. */
    private final class StageClock {
        private String stage;
        private long startNanos;
        private boolean ran;

        void begin(String next) {
            ran = true;
            if (next.equals(stage)) {
                return;
            }
            end();
            stage = next;
            startNanos = System.nanoTime();
        }

        void end() {
            if (stage != null) {
                metrics.stage(stage, Duration.ofNanos(System.nanoTime() - startNanos));
                stage = null;
            }
        }

        boolean ran() {
            return ran;
        }
    }
}
