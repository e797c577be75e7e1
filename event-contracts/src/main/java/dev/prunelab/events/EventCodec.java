package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            SweepCancelled.TYPE, SweepCancelled.class);

    /**
     * Strict on input (README "Events"): an unknown field is refused (a new field needs a new schema version), and so
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
        JsonNode node = tree(json);
        return bind(node, SweepRequest.class, json, runIdOf(node, json));
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
            throw new InvalidEventException("(json)", notJson(e), json, null);
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
        UnknownField unknown = unknownField(node, JSON.constructType(type), "");
        if (unknown != null) {
            throw new InvalidEventException(unknown.path(), unknown.problem(), json, runId);
        }
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw translate(e, node, json, runId);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("(json)", notJson(e), json, runId);
        } catch (InvalidSetting e) {
            throw new InvalidEventException(e.field(), e.problem(), json, runId);
        }
    }

    /** Jackson's path plus the field our validation named, and a problem without Jackson's class names. */
    private static InvalidEventException translate(JsonMappingException e, JsonNode root, String json, String runId) {
        StringBuilder path = new StringBuilder();
        JsonNode at = root;
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
                at = at == null ? null : at.get(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
                at = at == null ? null : at.get(ref.getIndex());
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof InvalidSetting v) {
                String field = v.field().isEmpty() ? path.toString()
                        : path.length() == 0 ? v.field() : path + "." + v.field();
                return new InvalidEventException(field, v.problem(), json, runId);
            }
        }
        String problem;
        if (e instanceof UnrecognizedPropertyException u) {
            problem = "unknown field" + known(u.getKnownPropertyIds());
        } else if (e instanceof InvalidFormatException f) {
            problem = "expected " + describe(f.getTargetType()) + ", got " + quoted(f.getValue());
        } else if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            problem = firstLine(e.getOriginalMessage()).startsWith("Cannot map `null`")
                    ? "is missing" : "expected " + describe(m.getTargetType()) + given(at);
        } else {
            problem = withoutJacksonNames(firstLine(e.getOriginalMessage()));
        }
        return new InvalidEventException(path.length() == 0 ? "(json)" : path.toString(), problem, json, runId);
    }

    /**
     * The first field the records do not know, with the fields they do, or null. Checked before binding
     * because Jackson reports unknown properties of a record only after its constructor ran, so a misspelled
     * required field would read "is missing" and a misspelled optional one would be a validation message.
     */
    private static UnknownField unknownField(JsonNode node, JavaType type, String path) {
        if (node == null || type == null) {
            return null;
        }
        if (node.isArray() && (type.isCollectionLikeType() || type.isArrayType())) {
            for (int i = 0; i < node.size(); i++) {
                UnknownField found = unknownField(node.get(i), type.getContentType(), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
            return null;
        }
        Class<?> raw = type.getRawClass();
        if (!node.isObject() || !raw.isRecord() || !raw.getPackageName().equals(EventCodec.class.getPackageName())) {
            return null;
        }
        Map<String, JavaType> fields = new TreeMap<>();
        for (var property : JSON.getDeserializationConfig().introspect(type).findProperties()) {
            if (property.couldDeserialize()) {
                fields.put(property.getName(), property.getPrimaryType());
            }
        }
        for (var entry : node.properties()) {
            String at = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            if (!fields.containsKey(entry.getKey())) {
                return new UnknownField(at, "unknown field" + known(new ArrayList<>(fields.keySet())));
            }
            UnknownField found = unknownField(entry.getValue(), fields.get(entry.getKey()), at);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private record UnknownField(String path, String problem) {
    }

    /** ", got 'text'" / ", got 0.5" for the scalar given at the failing path; empty for anything else. */
    private static String given(JsonNode value) {
        if (value == null || value.isNull() || value.isContainerNode()) {
            return "";
        }
        String text = value.isTextual() ? "'" + value.asText() + "'" : value.toString();
        return ", got " + (text.length() > 60 ? text.substring(0, 57) + "..." : text);
    }

    /** " (known: a, b, c)" from Jackson's known property ids, sorted; empty when there are none. */
    private static String known(Collection<Object> ids) {
        if (ids == null || ids.isEmpty()) {
            return "";
        }
        return " (known: " + String.join(", ", ids.stream().map(String::valueOf).sorted().toList()) + ")";
    }

    /**
     * A parse failure in one line without the parser's internals (class names, feature names, source excerpts):
     * {@code not valid JSON at line 1, column 40: NaN is not a JSON number}.
     */
    static String notJson(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        String message = firstLine(e.getOriginalMessage());
        String what;
        Matcher m;
        if ((m = Pattern.compile("^Non-standard token '([^']*)'").matcher(message)).find()) {
            what = m.group(1) + " is not a JSON number";
        } else if ((m = Pattern.compile("^Duplicate field '([^']*)'").matcher(message)).find()) {
            what = "field '" + m.group(1) + "' appears twice";
        } else if ((m = Pattern.compile("^Unexpected character \\('(.{1,2})' \\(code (\\d+)").matcher(message)).find()) {
            int code = Integer.parseInt(m.group(2));
            what = "unexpected character " + (code < 32 || code == 127 ? "(code " + code + ")" : "'" + m.group(1) + "'");
        } else if ((m = Pattern.compile("^Unrecognized token '([^']{0,40})").matcher(message)).find()) {
            what = "unrecognized token '" + m.group(1) + "'";
        } else if (message.startsWith("Unexpected end-of-input") || message.contains("end-of-input")) {
            what = "the input ends too early";
        } else if (message.startsWith("Trailing token") || message.contains("trailing token")) {
            what = "more input after the JSON value";
        } else if (message.startsWith("Illegal unquoted character")) {
            what = "a control character inside a string (escape it)";
        } else if (message.startsWith("Invalid numeric value") || message.startsWith("Leading zero")) {
            what = "malformed number";
        } else if (message.startsWith("Invalid UTF-8") || message.contains("UTF-8")) {
            what = "not UTF-8";
        } else {
            what = withoutJacksonNames(message);
        }
        return "not valid JSON" + where + ": " + what;
    }

    /** Jackson's message cut before its first backquoted class or feature name; "malformed input" when nothing is left. */
    private static String withoutJacksonNames(String message) {
        String cut = message;
        int tick = cut.indexOf('`');
        if (tick >= 0) {
            cut = cut.substring(0, tick);
        }
        int source = cut.indexOf("(for Object starting");
        if (source >= 0) {
            cut = cut.substring(0, source);
        }
        cut = cut.replaceAll("[\\s:(,;]+$", "").trim();
        if (cut.isEmpty() || cut.contains("dev.prunelab") || cut.contains("com.fasterxml")) {
            return "malformed input";
        }
        return Character.toLowerCase(cut.charAt(0)) + cut.substring(1);
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another value";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == Instant.class) {
            return "an ISO-8601 instant such as 2026-01-31T12:00:00Z";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (type.isEnum()) {
            return "a string";
        }
        return "an object";
    }

    /** The value given, shortened like {@link #given}: a refused input can be as large as the broker takes. */
    private static String quoted(Object value) {
        String text = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable input";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
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
