package dev.prunelab.pruner.service;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.pruner.app.Pruner;
import dev.prunelab.service.Inbox;
import dev.prunelab.service.RunMetrics;
import dev.prunelab.service.WorkEdge;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.Backoff;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.Outbox;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.Pause;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The pruner's Kafka adapter: run requests are decoded (or dead-lettered), pruned one at a time in order on a
 * worker thread by its core ({@link Pruner}, which records each run's outcome in the store), and acknowledged once that
 * outcome was recorded and sent, or, with the broker away, left to the relay ({@link WorkEdge}).
 */
@ApplicationScoped
public class PrunerKafkaAdapter {
    private static final Logger LOG = Logger.getLogger(PrunerKafkaAdapter.class);
    static final String SERVICE = "pruner-service";
    /** The store's name for the pruner's dead letters (its relay publishes those and the runs' outcomes). */
    static final String DEAD_LETTERS = "decode.pruner";

    /** Stage timer name of the time from validation to the engine's first stage: checkpoint and tokenizer loading. */
    static final String STAGE_LOAD = "load";

    private final EventCodec codec = new EventCodec();
    private final Pruner pruner;
    private final PruneOutcomePublisher publisher;
    private final RunMetrics metrics;
    private final Outbox outbox;
    private final WorkEdge<RunRequested> edge;

    @Inject
    public PrunerKafkaAdapter(Pruner pruner, PruneOutcomePublisher publisher, ArtifactStore store, Backoff backoff,
            MeterRegistry registry) {
        this.pruner = pruner;
        this.publisher = publisher;
        this.metrics = new RunMetrics(registry, SERVICE, RunStage.Owner.PRUNER);
        this.outbox = new Outbox(store.outcomes(), publisher.sender()::sendAndAwait, backoff, Pause.SLEEP,
                Clock.systemUTC());
        this.edge = new WorkEdge<>(RunRequested.class, Pruner.WORK, DEAD_LETTERS, outbox, Clock.systemUTC(),
                deadLetter -> {
                    LOG.warnf("dead letter %s: %s", deadLetter.runId(), deadLetter.reason());
                    metrics.failed(deadLetter.stage());
                });
    }

    @Incoming(PrunerChannels.RUN_REQUESTED)
    @Blocking(ordered = true)
    public CompletionStage<Void> onRunRequested(Message<String> message) {
        // acknowledged after the outcome is recorded, as a String payload would be after processing: a crash mid-run
        // redelivers it
        return edge.onMessage(message, this::prune);
    }

    /** Publishes the outcomes the broker did not take when they were recorded, this replica's or another's. */
    // the first pass waits until the outgoing channels are connected: an emitter used before that logs an error
    @Scheduled(every = "${prunelab.relay.every}", delayed = "${prunelab.relay.first-after}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void relay() {
        edge.relay();
    }

    private ClaimedWork.Outcome prune(RunRequested request) {
        LOG.infof("run %s: %s on %s", request.runId(), request.prune().label(), request.model().path());
        StageClock stages = new StageClock();
        ClaimedWork.Outcome outcome = pruner.perform(request, new Pruner.Observer() {
            @Override
            public void started(RunRequested started) {
                metrics.started();
                stages.begin(STAGE_LOAD);
            }

            @Override
            public void progress(RunProgress progress) {
                stages.begin(progress.stage().id());
                publisher.sender().sendProgress(progress);
            }
        });
        stages.end();
        if (outcome.event() instanceof ModelPruned pruned) {
            if (stages.ran()) {
                metrics.finished();
            }
            LOG.infof("run %s: pruned to %s (%d bytes)", request.runId(), pruned.artifact().uri(),
                    pruned.artifact().sizeBytes());
        } else if (outcome.event() instanceof RunFailed failed) {
            metrics.failed(failed.stage());
            LOG.warnf("run %s failed at %s: %s", request.runId(), failed.stage().id(), failed.reason());
        }
        return outcome;
    }

    /**
     * Cancellations, handled at once on the connector's thread (a run requested after its sweep's cancellation finds
     * it). A record the codec refuses is dead-lettered like a bad request, keyed by where it was (it belongs to no
     * run, so it must not end one), and once: every instance reads the whole topic again at each start; it is
     * recorded, and the relay publishes it, since no thread here may wait for the broker. Anything else that goes
     * wrong is logged and the record acknowledged, never nacked (it would stop the channel, and with it every later
     * cancellation).
     */
    @Incoming(PrunerChannels.SWEEP_CANCELLED)
    public CompletionStage<Void> onSweepCancelled(Message<String> message) {
        try {
            SweepCancelled cancelled = codec.decode(message.getPayload(), SweepCancelled.class);
            Optional<String> refusal = Inbox.sourceRefusal(message, cancelled);
            if (refusal.isPresent()) {
                LOG.warn(refusal.get());
                return message.ack();
            }
            pruner.cancel(cancelled);
            LOG.infof("sweep %s cancelled: its runs not yet started will be skipped", cancelled.sweepId());
        } catch (InvalidEventException e) {
            RunFailed deadLetter = RunFailed.invalidRecord(e, Clock.systemUTC().instant(),
                    Inbox.sourceRecord(message).orElse(null));
            LOG.warnf("invalid sweep.cancelled record%s: %s", where(message), deadLetter.reason());
            try {
                if (outbox.recordOnce(DEAD_LETTERS, deadLetter.runId(), deadLetter)) {
                    metrics.failed(deadLetter.stage());
                }
            } catch (IOException notRecorded) {
                LOG.errorf("could not record the dead letter %s: %s", deadLetter.runId(), notRecorded);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "ignored a sweep.cancelled record%s that could not be handled", where(message));
        }
        return message.ack();
    }

    private static String where(Message<String> message) {
        return Inbox.sourceRecord(message).map(r -> " at " + r.topic() + "-" + r.partition() + "@" + r.offset())
                .orElse("");
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
