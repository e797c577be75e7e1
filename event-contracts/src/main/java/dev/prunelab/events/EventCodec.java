package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes events as JSON. {@link #decode} picks the record from {@code type}, refuses a
 * {@code schemaVersion} it does not know, and validates every field; every refusal is an
 * {@link InvalidEventException} whose message names the field and the problem.
 *
 * <p>Thread-safe; one instance per service is enough.
 */
public final class EventCodec {

    private static final Map<String, Class<? extends Event>> TYPES = Map.of(
            RunRequested.TYPE, RunRequested.class,
            RunProgress.TYPE, RunProgress.class,
            ModelPruned.TYPE, ModelPruned.class,
            ModelEvaluated.TYPE, ModelEvaluated.class,
            PowerSample.TYPE, PowerSample.class,
            RunFailed.TYPE, RunFailed.class,
            SweepCancelled.TYPE, SweepCancelled.class,
            SearchRequested.TYPE, SearchRequested.class);

    /**
     * Strict on input (docs/events.md "Validation"): an unknown field is refused (a new field needs a new schema version), and so
     * is a scalar of the wrong JSON kind: a number or boolean given as a string ({@code "0.5"}), a string given as a
     * number, a fraction where an integer belongs, a duplicate key, anything after the object.
     */
    private static final ObjectMapper JSON = strict(JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build());

    private static ObjectMapper strict(JsonMapper mapper) {
        for (LogicalType type : new LogicalType[] {LogicalType.Float, LogicalType.Integer, LogicalType.Boolean}) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** One line of JSON, fields in declaration order: the same event always gives the same bytes. */
    public String encode(Event event) {
        return write(event);
    }

    public String encode(SweepRequest sweep) {
        return write(sweep);
    }

    /** Parses and validates any event; the record's class tells which. */
    public Event decode(String json) {
        JsonNode node = tree(json);
        String runId = runIdOf(node, json);
        String type = requireType(node, json, runId);
        // Checked above; the records take every other field, and refuse any they do not know.
        ((ObjectNode) node).remove(List.of("schemaVersion", "type"));
        return bind(node, TYPES.get(type), json, runId);
    }

    /** Parses and validates an event that must be of the given type (what a topic carries). */
    public <T extends Event> T decode(String json, Class<T> expected) {
        Event event = decode(json);
        if (!expected.isInstance(event)) {
            throw new InvalidEventException("type", "'" + event.type() + "' does not belong here (expected "
                    + typeOf(expected) + ")", json, event instanceof RunEvent run ? run.runId() : null);
        }
        return expected.cast(event);
    }

    /** Parses and validates a sweep request (the gateway's REST body; it carries no type or schemaVersion). */
    public SweepRequest decodeSweep(String json) {
        return decodeBody(json, SweepRequest.class);
    }

    /** Parses and validates a search request (the body of {@code POST /api/searches}, no envelope). */
    public SearchRequest decodeSearch(String json) {
        return decodeBody(json, SearchRequest.class);
    }

    /** Parses and validates one run's configuration (the body of {@code POST /api/runs}, no envelope). */
    public RunConfiguration decodeRun(String json) {
        return decodeBody(json, RunConfiguration.class);
    }

    private static <T> T decodeBody(String json, Class<T> type) {
        JsonNode node = tree(json);
        return bind(node, type, json, runIdOf(node, json));
    }

    /** The canonical JSON of any value the codec writes (sorted map keys, no nulls), e.g. for hashing. */
    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static JsonNode tree(String json) {
        if (json == null || json.isBlank()) {
            throw new InvalidEventException("(json)", "the payload is empty", json, null);
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("(json)", JsonProblems.notJson(e), json, null);
        }
        if (node == null || !node.isObject()) {
            throw new InvalidEventException("(json)", "expected a JSON object, got "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()), json, null);
        }
        return node;
    }

    private static String requireType(JsonNode node, String json, String runId) {
        JsonNode version = node.get("schemaVersion");
        if (version == null || version.isNull()) {
            throw new InvalidEventException("schemaVersion", "is missing", json, runId);
        }
        if (!version.isInt()) {
            throw new InvalidEventException("schemaVersion", "expected an integer, got " + version, json, runId);
        }
        if (!Event.READABLE_SCHEMA_VERSIONS.contains(version.intValue())) {
            throw new InvalidEventException("schemaVersion", version.intValue() + " is not supported (this build reads "
                    + String.join(", ", Event.READABLE_SCHEMA_VERSIONS.stream().sorted().map(String::valueOf).toList())
                    + ")", json, runId);
        }
        JsonNode type = node.get("type");
        if (type == null || type.isNull()) {
            throw new InvalidEventException("type", "is missing (expected one of "
                    + String.join("|", TYPES.keySet().stream().sorted().toList()) + ")", json, runId);
        }
        if (!TYPES.containsKey(type.asText())) {
            throw new InvalidEventException("type", "unknown event type '" + type.asText() + "' (expected one of "
                    + String.join("|", TYPES.keySet().stream().sorted().toList()) + ")", json, runId);
        }
        return type.asText();
    }

    private static <T> T bind(JsonNode node, Class<T> type, String json, String runId) {
        JsonProblems.UnknownField unknown = JsonProblems.unknownField(JSON, node, JSON.constructType(type), "");
        if (unknown != null) {
            throw new InvalidEventException(unknown.path(), unknown.problem(), json, runId);
        }
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw JsonProblems.translate(e, node, json, runId);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("(json)", JsonProblems.notJson(e), json, runId);
        } catch (InvalidSetting e) {
            throw new InvalidEventException(e.field(), e.problem(), json, runId);
        }
    }

    /**
     * The payload's run id as written, or null; {@link InvalidEventException} takes it only when it is a valid run
     * id (a huge or escaped one is not), and otherwise keys the dead letter another way.
     */
    private static String runIdOf(JsonNode node, String json) {
        JsonNode id = node.get("runId");
        return id != null && id.isTextual() ? id.asText() : null;
    }

    /** The wire type of an event class (its {@code TYPE}). */
    static String typeOf(Class<? extends Event> type) {
        return TYPES.entrySet().stream().filter(e -> e.getValue() == type).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new IllegalStateException(type.getSimpleName() + " has no type"));
    }

    /** sha256 of text as 64 lower-case hex digits. */
    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
