package dev.prunelab.work;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one protocol by which a replica does a piece of work (pruning a run, evaluating it) on the shared
 * {@link ArtifactStore}, so that each piece ends exactly once however many replicas receive it, die on it or get it
 * redelivered. For a kind of work and an id:
 *
 * <ol>
 *   <li>an outcome already recorded, or one the store holds otherwise (a committed artifact, a stored evaluation:
 *       {@link Existing}), is the answer;</li>
 *   <li>else this replica claims the work ({@link ArtifactStore#claim}); while another live replica holds the
 *       claim, it waits, looking every {@link #pollInterval} until that one left an outcome (the answer) or died
 *       (its claim's heartbeat silent for the lease: the claim is taken over);</li>
 *   <li>holding the claim, it looks again: the holder may have finished between the first look and the claim;</li>
 *   <li>it runs the work; an exception the work lets out becomes its failure event ({@link Failure});</li>
 *   <li>it records the outcome, the event's JSON, marked unpublished ({@link Outcomes}), releases the claim and
 *       returns it.</li>
 * </ol>
 *
 * The caller then publishes the outcome ({@link Outbox#deliver}) and acknowledges its message: an id counts as done
 * once its outcome is recorded, and publishing is retried until the broker has it. A failure of the store itself
 * (a claim or a look that cannot be made) is the work's failure event too, but not recorded: the store may be back
 * for the redelivery.
 */
public final class ClaimedWork {

    private static final Logger LOG = Logger.getLogger(ClaimedWork.class.getName());
    private static final EventCodec CODEC = new EventCodec();

    /**
     * How a piece of work ended.
     *
     * @param json     the event as the store recorded it, and as it is published: encoded once
     * @param recorded false when the store could not record it: then nothing but the caller's publish keeps it
     */
    public record Outcome(String kind, String id, Event event, String json, boolean recorded) {

        /** An outcome not read from the store: the event encoded now. */
        public Outcome(String kind, String id, Event event, boolean recorded) {
            this(kind, id, event, CODEC.encode(event), recorded);
        }
    }

    /** An outcome the store holds outside the recorded ones (a committed artifact, a stored evaluation). */
    @FunctionalInterface
    public interface Existing {
        Existing NONE = Optional::empty;

        Optional<? extends Event> find() throws IOException;
    }

    /** The work itself, run under this replica's claim; its expected failures are its own failure events. */
    @FunctionalInterface
    public interface Task {
        Event run() throws Exception;
    }

    /** The failure event of an exception the work let out, or of a store that failed (the stage is the caller's). */
    @FunctionalInterface
    public interface Failure {
        Event of(Throwable e);
    }

    private final ArtifactStore store;
    private final Pause pause;
    private final Duration pollInterval;

    public ClaimedWork(ArtifactStore store) {
        this(store, Pause.SLEEP);
    }

    /** @param pause how the wait for another replica's claim passes (tests move their clock) */
    public ClaimedWork(ArtifactStore store, Pause pause) {
        this.store = store;
        this.pause = pause;
        this.pollInterval = pollInterval(store.lease());
    }

    /**
     * How often a replica waiting for another's claim looks again: a twentieth of the lease, at least 100 ms and at
     * most 1 s. A waiter takes over only once the holder has been silent for a whole lease, so looking 20 times per
     * lease delays that by at most 5%; a holder's outcome is answered within a second of being recorded; and a short
     * lease (tests) does not turn the wait into a busy loop over the store's directory.
     */
    public static Duration pollInterval(Duration lease) {
        Duration twentieth = lease.dividedBy(20);
        Duration least = Duration.ofMillis(100);
        Duration most = Duration.ofSeconds(1);
        return twentieth.compareTo(least) < 0 ? least : twentieth.compareTo(most) > 0 ? most : twentieth;
    }

    /**
     * Does {@code kind}/{@code id} once across the replicas sharing the store (see the class comment); never throws
     * for a failed work or store: that is the outcome's failure event.
     */
    public Outcome perform(String kind, String id, Existing existing, Task task, Failure failure) {
        try {
            Optional<Outcome> done = lookup(kind, id, existing);
            if (done.isPresent()) {
                LOG.info(kind + " " + id + " has an outcome already: answering it again");
                return done.get();
            }
            try (ArtifactStore.Claim claim = claimOrWait(kind, id, existing)) {
                if (claim == null) { // the replica that held it recorded an outcome meanwhile
                    return lookup(kind, id, existing).orElseThrow();
                }
                done = lookup(kind, id, existing); // finished between the first look and the claim
                if (done.isPresent()) {
                    return done.get();
                }
                return record(kind, id, run(task, failure));
            }
        } catch (IOException | RuntimeException e) {
            return new Outcome(kind, id, failure.of(e), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(kind, id, failure.of(e), false);
        }
    }

    private static Event run(Task task, Failure failure) {
        try {
            return task.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure.of(e);
        } catch (Exception | OutOfMemoryError | StackOverflowError | LinkageError e) {
            LOG.log(Level.WARNING, "the work let an exception out; it is its failure", e);
            return failure.of(e);
        }
    }

    /**
     * The outcome if there is one: the recorded one, else an existing one, which is recorded now so that every later
     * answer is the same event (same occurredAt, so the same CloudEvents id).
     */
    private Optional<Outcome> lookup(String kind, String id, Existing existing) throws IOException {
        Optional<Outcome> recorded = recorded(kind, id);
        if (recorded.isPresent()) {
            return recorded;
        }
        Optional<? extends Event> found = existing.find();
        if (found.isPresent()) {
            return Optional.of(record(kind, id, found.get()));
        }
        return Optional.empty();
    }

    /** The recorded outcome; one that no longer decodes (written by another version, damaged) counts as none. */
    private Optional<Outcome> recorded(String kind, String id) throws IOException {
        Optional<String> json = store.outcomes().find(kind, id);
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Outcome(kind, id, CODEC.decode(json.get()), json.get(), true));
        } catch (InvalidEventException e) {
            LOG.warning("the recorded outcome of " + kind + " " + id + " is unreadable (" + e.getMessage()
                    + "): doing the work again");
            return Optional.empty();
        }
    }

    private Outcome record(String kind, String id, Event event) {
        String json = CODEC.encode(event);
        try {
            store.outcomes().record(kind, id, json);
            return new Outcome(kind, id, event, json, true);
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not record the outcome of " + kind + " " + id + " in " + store.root() + ": " + e);
            return new Outcome(kind, id, event, json, false);
        }
    }

    /**
     * This replica's claim; while another live replica holds it, waits, and returns null once that one recorded an
     * outcome, or the claim once it is free (released without an outcome, or its holder's lease ran out).
     */
    private ArtifactStore.Claim claimOrWait(String kind, String id, Existing existing)
            throws IOException, InterruptedException {
        while (true) {
            Optional<ArtifactStore.Claim> claim = store.claim(kind, id);
            if (claim.isPresent()) {
                return claim.get();
            }
            if (lookup(kind, id, existing).isPresent()) {
                return null;
            }
            pause.pause(pollInterval);
        }
    }
}
