package dev.prunelab.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
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
     * @param source the producing service as a URI reference, e.g. {@code /prunelab/pruner-service}
     */
    public static Map<String, String> headers(Event event, String source) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(ID, id(event));
        headers.put(SOURCE, source);
        headers.put(TYPE, TYPE_PREFIX + event.type());
        headers.put(SPEC_VERSION, SPEC_VERSION_VALUE);
        headers.put(TIME, event.occurredAt().toString());
        headers.put(SUBJECT, event.key());
        headers.put(CONTENT_TYPE, JSON);
        return headers;
    }

    /** The event's {@code ce_id}. */
    public static String id(Event event) {
        if (event instanceof RunRequested run) {
            RunRequested timeless = new RunRequested(run.runId(), Instant.EPOCH, run.sweepId(), run.model(),
                    run.prune(), run.calibration(), run.evaluation());
            return event.type() + ":" + event.key() + ":" + sha256Hex(CODEC.encode(timeless)).substring(0, 16);
        }
        return event.type() + ":" + event.key() + ":" + event.occurredAt();
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** {@link #headers} as Kafka record headers (UTF-8 values), what every service publishes with. */
    public static Headers kafkaHeaders(Event event, String source) {
        RecordHeaders headers = new RecordHeaders();
        headers(event, source).forEach((name, value) -> headers.add(name, value.getBytes(StandardCharsets.UTF_8)));
        return headers;
    }
}
