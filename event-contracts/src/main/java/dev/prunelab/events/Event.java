package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Set;

/**
 * One pipeline event. On the wire every event is a JSON object with {@code schemaVersion}, {@code type} and
 * {@code occurredAt} (ISO-8601); run events also carry {@code runId}, the Kafka key. {@link EventCodec} reads
 * and validates them; the records validate themselves when built in Java too.
 */
public sealed interface Event permits RunEvent, PowerSample, SweepCancelled, SearchRequested {

    /**
     * The schema version this build writes. Version 2 added fields: run.failed's bounded {@code excerpt} and the
     * offending {@code record}'s topic, partition and offset (version 1 carried the whole {@code payload}), an
     * interval's {@code scale} and the energy baseline's {@code basis}. A reader refuses versions it does not know.
     */
    int SCHEMA_VERSION = 2;

    /** The versions this build reads: version 1 events (in compacted topics, from older producers) decode as before. */
    Set<Integer> READABLE_SCHEMA_VERSIONS = Set.of(1, 2);

    /** Every event this build writes carries {@link #SCHEMA_VERSION}. */
    @JsonProperty("schemaVersion")
    default int schemaVersion() {
        return SCHEMA_VERSION;
    }

    /** The event type, e.g. {@code run.requested} (each record's {@code TYPE}); its topic is {@link Topics#of}. */
    @JsonProperty("type")
    default String type() {
        return EventCodec.typeOf(getClass());
    }

    Instant occurredAt();

    /** The Kafka record key: the run id, or {@code host/device} for a power sample (which belongs to no run). */
    String key();
}
