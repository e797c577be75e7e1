package dev.prunelab.work;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.RunFailed;
import dev.prunelab.work.ClaimedWork.Outcome;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Gets recorded outcomes to the broker. {@link #deliver} publishes one right away and retries with backoff a bounded
 * number of times; an outcome the broker still did not take stays recorded and marked unpublished, and
 * {@link #relay} (a service runs it every few seconds) publishes every unpublished outcome of its kinds once the
 * broker is back, backing off while it is not.
 *
 * <p>Safe with several replicas on one store: any replica's relay may publish another's outcome, and two may
 * publish the same one. That is a duplicate, never a loss, and consumers skip it: a recorded outcome is published
 * as the same event every time (same occurredAt, so the same CloudEvents id). The mark goes only after the broker
 * acknowledged.
 */
public final class Outbox {

    private static final Logger LOG = Logger.getLogger(Outbox.class.getName());
    private static final EventCodec CODEC = new EventCodec();

    /**
     * Publishes one event and returns once the broker acknowledged it; throws when it did not (in time). {@code json}
     * is the event as recorded: the record's value is those bytes, not a second encoding.
     */
    @FunctionalInterface
    public interface Publisher {
        void publish(Event event, String json) throws Exception;
    }

    private final Outcomes outcomes;
    private final Publisher publisher;
    private final Backoff backoff;
    private final Pause pause;
    private final Clock clock;
    /** Relay passes that failed in a row, and when the next pass may try again. */
    private int relayFailures;
    private Instant nextRelay = Instant.MIN;

    /**
     * @param backoff the retries of {@link #deliver} (its attempts, and the waits between them) and the waits
     *                between failed relay passes
     * @param pause   how the waits between retries pass (tests move their clock instead of sleeping)
     * @param clock   when a relay pass is due again after a failure
     */
    public Outbox(Outcomes outcomes, Publisher publisher, Backoff backoff, Pause pause, Clock clock) {
        this.outcomes = outcomes;
        this.publisher = publisher;
        this.backoff = backoff;
        this.pause = pause;
        this.clock = clock;
    }

    /** Records an outcome that needed no claim (a dead letter, under its key) and delivers it. */
    public Outcome recordAndDeliver(String kind, String name, Event event) {
        String json = CODEC.encode(event);
        boolean recorded;
        try {
            outcomes.record(kind, name, json);
            recorded = true;
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not record " + event.type() + " " + name + " (" + kind + "): " + e);
            recorded = false;
        }
        Outcome outcome = new Outcome(kind, name, event, json, recorded);
        deliver(outcome);
        return outcome;
    }

    /**
     * Records an outcome, marked unpublished, for the relay to publish, unless one is recorded under its name
     * already: for a record every instance reads again at each start (the sweep cancellations), whose dead letter is
     * then neither recorded nor sent twice, and which is handled where no thread may wait for the broker. True when
     * it was recorded now.
     */
    public boolean recordOnce(String kind, String name, Event event) throws IOException {
        if (outcomes.find(kind, name).isPresent()) {
            return false;
        }
        outcomes.record(kind, name, CODEC.encode(event));
        return true;
    }

    /**
     * Publishes an outcome now, retrying with backoff up to the attempts; true when the broker acknowledged it. A
     * recorded outcome that could not be published stays marked unpublished, for the relay. An unrecorded one has
     * nowhere else to go: when every try failed this throws, so that its message is not taken for done.
     */
    public boolean deliver(Outcome outcome) {
        Exception last = null;
        for (int attempt = 1; attempt <= backoff.attempts(); attempt++) {
            try {
                publisher.publish(outcome.event(), outcome.json());
                if (outcome.recorded()) {
                    markPublished(outcome.kind(), outcome.id());
                }
                return true;
            } catch (Exception e) {
                last = e;
                LOG.warning("publish " + attempt + " of " + backoff.attempts() + " of " + describe(outcome.event())
                        + " failed: " + RunFailed.reasonOf(e));
                if (e instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (attempt < backoff.attempts()) {
                    try {
                        pause.pause(backoff.delay(attempt));
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        if (!outcome.recorded()) {
            throw new IllegalStateException("could not publish " + describe(outcome.event()) + ", and the store did "
                    + "not record it: " + RunFailed.reasonOf(last), last);
        }
        try {
            outcomes.markUnpublished(outcome.kind(), outcome.id()); // a redelivered outcome was marked published
        } catch (IOException e) {
            LOG.warning("could not mark " + describe(outcome.event()) + " unpublished: " + e);
        }
        LOG.warning(describe(outcome.event()) + " stays recorded as not yet published; the relay publishes it "
                + "once the broker takes it");
        return false;
    }

    /**
     * One pass of the relay over {@code kinds}: publishes every unpublished outcome, any replica's, in name order,
     * and marks each published. A failed publish ends the pass, and the next one is due only after the backoff
     * (counted in failed passes in a row); a pass that got through resets it. Returns how many it published.
     */
    public synchronized int relay(Collection<String> kinds) {
        Instant now = clock.instant();
        if (now.isBefore(nextRelay)) {
            return 0;
        }
        int published = 0;
        try {
            for (String kind : kinds) {
                for (String name : outcomes.unpublished(kind)) {
                    Optional<Outcome> event = readable(kind, name);
                    if (event.isEmpty()) {
                        continue;
                    }
                    try {
                        publisher.publish(event.get().event(), event.get().json());
                    } catch (Exception e) {
                        if (e instanceof InterruptedException) {
                            Thread.currentThread().interrupt();
                        }
                        relayFailures++;
                        nextRelay = now.plus(backoff.delay(relayFailures));
                        LOG.warning("relay: could not publish " + describe(event.get().event()) + " ("
                                + RunFailed.reasonOf(e)
                                + "); next pass not before " + nextRelay);
                        return published;
                    }
                    markPublished(kind, name);
                    published++;
                }
            }
        } catch (IOException e) {
            LOG.warning("relay: cannot read the outbox: " + e);
            return published;
        }
        relayFailures = 0;
        nextRelay = Instant.MIN;
        if (published > 0) {
            LOG.info("relay: published " + published + " recorded outcome" + (published == 1 ? "" : "s"));
        }
        return published;
    }

    /**
     * The unpublished outcome, its event decoded (for its topic and key) beside the recorded JSON it is published as; a
     * mark without a readable outcome is dropped (nothing could publish it).
     */
    private Optional<Outcome> readable(String kind, String name) throws IOException {
        Optional<String> json = outcomes.find(kind, name);
        if (json.isPresent()) {
            try {
                return Optional.of(new Outcome(kind, name, CODEC.decode(json.get()), json.get(), true));
            } catch (InvalidEventException e) {
                LOG.warning("relay: the recorded outcome of " + kind + " " + name + " is unreadable ("
                        + e.getMessage() + "); it is not published");
            }
        }
        markPublished(kind, name);
        return Optional.empty();
    }

    private void markPublished(String kind, String name) {
        try {
            outcomes.markPublished(kind, name);
        } catch (IOException e) {
            // the relay publishes it once more: a duplicate consumers skip
            LOG.warning("could not mark " + kind + " " + name + " published: " + e);
        }
    }

    private static String describe(Event event) {
        return event.type() + " of " + event.key();
    }
}
