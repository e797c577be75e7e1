package dev.prunelab.events;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.prunelab.vocabulary.InvalidSetting;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How {@link EventCodec} words a refusal: the field's path and the problem in one line, without the parser's
 * internals (Jackson's class and feature names, source excerpts), and a refused value shortened, since an input may
 * be as large as the broker takes.
 */
final class JsonProblems {

    private JsonProblems() {
    }

    /** Jackson's path plus the field our validation named, and a problem without Jackson's class names. */
    static InvalidEventException translate(JsonMappingException e, JsonNode root, String json, String runId) {
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
    static UnknownField unknownField(ObjectMapper mapper, JsonNode node, JavaType type, String path) {
        if (node == null || type == null) {
            return null;
        }
        if (node.isArray() && (type.isCollectionLikeType() || type.isArrayType())) {
            for (int i = 0; i < node.size(); i++) {
                UnknownField found = unknownField(mapper, node.get(i), type.getContentType(), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
            return null;
        }
        Class<?> raw = type.getRawClass();
        if (!node.isObject() || !raw.isRecord() || !raw.getPackageName().equals(JsonProblems.class.getPackageName())) {
            return null;
        }
        Map<String, JavaType> fields = new TreeMap<>();
        for (var property : mapper.getDeserializationConfig().introspect(type).findProperties()) {
            if (property.couldDeserialize()) {
                fields.put(property.getName(), property.getPrimaryType());
            }
        }
        for (var entry : node.properties()) {
            String at = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            if (!fields.containsKey(entry.getKey())) {
                return new UnknownField(at, "unknown field" + known(new ArrayList<>(fields.keySet())));
            }
            UnknownField found = unknownField(mapper, entry.getValue(), fields.get(entry.getKey()), at);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    record UnknownField(String path, String problem) {
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
}
