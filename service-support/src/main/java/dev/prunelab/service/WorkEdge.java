package dev.prunelab.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.RunFailed;
import dev.prunelab.work.ClaimedWork;
import dev.prunelab.work.Outbox;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The Kafka edge of claimed work, the same for every service that does it (pruner, evaluator): a record is decoded
 * or dead-lettered ({@link Inbox}), its work done by the service ({@link ClaimedWork}), its outcome published
 * ({@link Outbox#deliver}: retried with backoff, else left recorded as unpublished for the relay), and only then is
 * the record acknowledged and its id remembered as done.
 *
 * <p>Every failure ends as a recorded outcome (the work's failure event, or a dead letter) or as a bounded retry.
 * A record is nacked only when its outcome could be neither recorded nor published; the channel's failure strategy
 * ({@code ignore}) logs that and goes on, so no record stops a channel.
 */
public final class WorkEdge<T extends Event> {

    private static final Logger LOG = Logger.getLogger(WorkEdge.class);

    private final Inbox<T> inbox;
    private final Outbox outbox;
    private final List<String> kinds;

    /**
     * @param workKind       the store's name for the work ("prune"): its outcomes are relayed from here
     * @param deadLetterKind the store's name for this service's dead letters ("decode.pruner"), recorded by key
     * @param onDeadLetter   what the service notes of a dead letter (log, metric) before it is recorded and sent
     */
    public WorkEdge(Class<T> type, String workKind, String deadLetterKind, Outbox outbox, Clock clock,
            Consumer<RunFailed> onDeadLetter) {
        this.outbox = outbox;
        this.kinds = List.of(workKind, deadLetterKind);
        this.inbox = new Inbox<>(type, clock, deadLetter -> {
            onDeadLetter.accept(deadLetter);
            outbox.recordAndDeliver(deadLetterKind, deadLetter.runId(), deadLetter);
        });
    }

    /** Handles one record: its work's outcome (from {@code work}, which records it) is published, then it is acked. */
    public CompletionStage<Void> onMessage(Message<String> message, Function<T, ClaimedWork.Outcome> work) {
        Optional<T> event = Optional.empty();
        try {
            event = inbox.receive(message);
            if (event.isPresent()) {
                outbox.deliver(work.apply(event.get()));
                inbox.done(event.get());
            }
            return message.ack();
        } catch (RuntimeException e) {
            LOG.errorf("%s: neither recorded nor published (%s); the record is skipped, its work is redone only if "
                    + "it is delivered again", event.map(CloudEvents::id).orElse("a record"), RunFailed.reasonOf(e));
            return message.nack(e);
        }
    }

    /** One relay pass over this service's unpublished outcomes (scheduled every few seconds). */
    public int relay() {
        return outbox.relay(kinds);
    }
}
