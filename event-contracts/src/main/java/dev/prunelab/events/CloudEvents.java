package dev.prunelab.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * CloudEvents 1.0 attributes in Kafka binary content mode: each attribute is a record header named
 * {@code ce_<attribute>}, the event JSON is the record value, the run id is the record key.
 *
 * <p>{@code ce_id} is derived from the event, so a redelivered or re-published event keeps its id and consumers can
 * deduplicate on it: type, key and occurredAt for most events; for a run request, the run id and a hash of the
 * request without its occurredAt, so two gateways that both publish one sweep (a client retrying against another
 * replica) publish events with one id.
 */
public final class CloudEvents {

    public static final String ID = "ce_id";
    public static final String SOURCE = "ce_source";
    public static final String TYPE = "ce_type";
    public static final String SPEC_VERSION = "ce_specversion";
    public static final String TIME = "ce_time";
    public static final String SUBJECT = "ce_subject";
    /** Binary mode carries the data content type in the Kafka header {@code content-type}. */
    public static final String CONTENT_TYPE = "content-type";

    public static final String SPEC_VERSION_VALUE = "1.0";
    public static final String JSON = "application/json";
    /** {@code ce_type} = this prefix + the event's {@code type}, e.g. {@code dev.prunelab.run.requested}. */
    public static final String TYPE_PREFIX = "dev.prunelab.";

    private static final EventCodec CODEC = new EventCodec();

    private CloudEvents() {
    }

    /**
     * The headers to publish an event with.
     *
     * @param json   the event as {@link EventCodec#encode} wrote it, the record's value
     * @param source the producing service as a URI reference, e.g. {@code /prunelab/pruner-service}
     */
    public static Map<String, String> headers(Event event, String json, String source) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(ID, id(event, json));
        headers.put(SOURCE, source);
        headers.put(TYPE, TYPE_PREFIX + event.type());
        headers.put(SPEC_VERSION, SPEC_VERSION_VALUE);
        headers.put(TIME, event.occurredAt().toString());
        headers.put(SUBJECT, event.key());
        headers.put(CONTENT_TYPE, JSON);
        return headers;
    }

    /** {@link #headers(Event, String, String)} of an event not yet encoded (encodes it). */
    public static Map<String, String> headers(Event event, String source) {
        return headers(event, CODEC.encode(event), source);
    }

    /** The event's {@code ce_id}, of an event not yet encoded (encodes a run request). */
    public static String id(Event event) {
        return event instanceof RunRequested ? id(event, CODEC.encode(event)) : id(event, null);
    }

    /**
     * The event's {@code ce_id}, a run request's hashed from its JSON as encoded for the record ({@code json}) with
     * its occurredAt read as the epoch: the JSON the request would have at {@link Instant#EPOCH}, without encoding it
     * again (the codec writes occurredAt as {@link Instant#toString()}, fourth after schemaVersion, type, runId).
     */
    public static String id(Event event, String json) {
        if (event instanceof RunRequested) {
            String at = "\"occurredAt\":\"" + event.occurredAt() + "\"";
            int from = json.indexOf(at);
            if (from < 0) {
                throw new IllegalArgumentException("the JSON given is not this run request's: no " + at);
            }
            String timeless = json.substring(0, from) + "\"occurredAt\":\"" + Instant.EPOCH + "\""
                    + json.substring(from + at.length());
            return event.type() + ":" + event.key() + ":" + EventCodec.sha256Hex(timeless).substring(0, 16);
        }
        return event.type() + ":" + event.key() + ":" + event.occurredAt();
    }

    /** {@link #headers} as Kafka record headers (UTF-8 values), what every service publishes with. */
    public static Headers kafkaHeaders(Event event, String json, String source) {
        RecordHeaders headers = new RecordHeaders();
        headers(event, json, source).forEach((name, value) -> headers.add(name, value.getBytes(StandardCharsets.UTF_8)));
        return headers;
    }

    /** {@link #kafkaHeaders(Event, String, String)} of an event not yet encoded (encodes it). */
    public static Headers kafkaHeaders(Event event, String source) {
        return kafkaHeaders(event, CODEC.encode(event), source);
    }
}
