package dev.prunelab.service;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.RunFailed;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Decode or dead-letter, as every consuming service does: an input the codec refuses becomes a run.failed at stage
 * decode with the reason and the payload as received, handed to {@code deadLetters} (which publishes and awaits it),
 * and the service goes on.
 */
public final class Inbox<T extends Event> {

    private static final EventCodec CODEC = new EventCodec();

    private final Class<T> type;
    private final Clock clock;
    private final Consumer<RunFailed> deadLetters;

    public Inbox(Class<T> type, Clock clock, Consumer<RunFailed> deadLetters) {
        this.type = type;
        this.clock = clock;
        this.deadLetters = deadLetters;
    }

    /** The decoded event, or empty after its dead letter was handed on. */
    public Optional<T> decode(String json) {
        try {
            return Optional.of(CODEC.decode(json, type));
        } catch (InvalidEventException e) {
            deadLetters.accept(RunFailed.invalidInput(e, clock.instant()));
            return Optional.empty();
        }
    }
}
