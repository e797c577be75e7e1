package dev.prunelab.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.EventSources;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.RunFailed;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * What every consuming service does with a record before its work: decode or dead-letter (an input the codec refuses
 * becomes a run.failed at stage decode with the reason, a bounded excerpt and the record's topic, partition and
 * offset, handed to {@code deadLetters}, which records and publishes it), ignore and log an event whose CloudEvents
 * source is not the service that owns its type ({@link EventSources}), and skip an event already done (same
 * {@link CloudEvents#id}: a redelivery, or the same sweep published by two gateways).
 *
 * <p>An id counts as done only once its outcome is recorded: the adapter calls {@link #done} then, not on arrival.
 * A record whose work failed before its outcome was recorded, and that comes again, is worked on again.
 */
public final class Inbox<T extends Event> {

    private static final Logger LOG = Logger.getLogger(Inbox.class);
    private static final EventCodec CODEC = new EventCodec();
    /** Ids remembered for deduplication; a duplicate arrives within a rebalance or a client's retry, not days later. */
    static final int REMEMBERED_IDS = 10_000;

    private final Class<T> type;
    private final Clock clock;
    private final Consumer<RunFailed> deadLetters;
    private final Map<String, Boolean> done = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    };

    /** @param deadLetters records and publishes a dead letter; the record is acknowledged once it returns */
    public Inbox(Class<T> type, Clock clock, Consumer<RunFailed> deadLetters) {
        this.type = type;
        this.clock = clock;
        this.deadLetters = deadLetters;
    }

    /**
     * The event to work on, or empty when it was dead-lettered, ignored for its source, or is done already. A message
     * without Kafka metadata (the in-memory channels of tests) has no headers, so its source is not checked.
     */
    public Optional<T> receive(Message<String> message) {
        Optional<T> event = decode(message.getPayload(), sourceRecord(message));
        if (event.isEmpty()) {
            return event;
        }
        Optional<String> refusal = sourceRefusal(message, event.get());
        if (refusal.isPresent()) {
            LOG.warn(refusal.get());
            return Optional.empty();
        }
        if (isDone(event.get())) {
            LOG.infof("skipping %s: its outcome is recorded already", CloudEvents.id(event.get()));
            return Optional.empty();
        }
        return event;
    }

    /** The event's outcome is recorded: a later record with its id is a duplicate. */
    public synchronized void done(T event) {
        done.put(CloudEvents.id(event), Boolean.TRUE);
    }

    private synchronized boolean isDone(T event) {
        return done.containsKey(CloudEvents.id(event));
    }

    /** The decoded event, or empty after its dead letter was handed on. */
    public Optional<T> decode(String json, Optional<RunFailed.SourceRecord> from) {
        try {
            return Optional.of(CODEC.decode(json, type));
        } catch (InvalidEventException e) {
            deadLetters.accept(RunFailed.invalidInput(e, clock.instant(), from.orElse(null)));
            return Optional.empty();
        }
    }

    /** Where the record was, when it came from Kafka. */
    public static Optional<RunFailed.SourceRecord> sourceRecord(Message<?> message) {
        return kafkaMetadata(message).map(k -> new RunFailed.SourceRecord(k.getTopic(), k.getPartition(),
                k.getOffset()));
    }

    /** Why the record's source may not publish this event, when it came from Kafka; empty when it may. */
    public static Optional<String> sourceRefusal(Message<?> message, Event event) {
        Optional<IncomingKafkaRecordMetadata<?, ?>> kafka = kafkaMetadata(message);
        if (kafka.isEmpty()) {
            return Optional.empty();
        }
        Header source = kafka.get().getHeaders().lastHeader(CloudEvents.SOURCE);
        return EventSources.refusal(event,
                source == null || source.value() == null ? null : new String(source.value(), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    public static Optional<IncomingKafkaRecordMetadata<?, ?>> kafkaMetadata(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class).map(m -> (IncomingKafkaRecordMetadata<?, ?>) m);
    }
}
