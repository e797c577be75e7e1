package dev.prunelab.pruning.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.pruning.model.ModelFormatException;
import java.nio.file.Path;

/**
 * Typed reads of config.json fields, each error naming the file and the field; JSON null counts as absent, as in
 * Hugging Face's config classes.
 */
public final class ConfigFields {
    private final JsonNode root;
    private final Path source;

    public ConfigFields(JsonNode root, Path source) {
        this.root = root;
        this.source = source;
    }

    public boolean has(String field) {
        return root.hasNonNull(field);
    }

    /** The field as it is in the file, or null. */
    public JsonNode raw(String field) {
        return root.get(field);
    }

    /** An error about this config.json. */
    public ModelFormatException invalid(String problem) {
        return new ModelFormatException(source, problem);
    }

    private ModelFormatException wrongType(String field, String expected) {
        return invalid("field '" + field + "' must be " + expected + ", was " + root.get(field));
    }

    public int requiredInt(String field) {
        if (!has(field)) {
            throw invalid("field '" + field + "' is missing");
        }
        JsonNode node = root.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw wrongType(field, "a 32-bit integer");
        }
        return node.intValue();
    }

    public int optionalInt(String field, int defaultValue) {
        return has(field) ? requiredInt(field) : defaultValue;
    }

    public double optionalDouble(String field, double defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonNode node = root.get(field);
        if (!node.isNumber()) {
            throw wrongType(field, "a number");
        }
        return node.doubleValue();
    }

    public boolean optionalBoolean(String field, boolean defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonNode node = root.get(field);
        if (!node.isBoolean()) {
            throw wrongType(field, "true or false");
        }
        return node.booleanValue();
    }

    public String requiredString(String field) {
        if (!has(field)) {
            throw invalid("field '" + field + "' is missing");
        }
        JsonNode node = root.get(field);
        if (!node.isTextual()) {
            throw wrongType(field, "a string");
        }
        return node.textValue();
    }

    public String optionalString(String field, String defaultValue) {
        return has(field) ? requiredString(field) : defaultValue;
    }

    /** Token ids may be an int or (Llama 3's eos) a list of ints, of which the first is used; null means none (-1). */
    public int tokenId(String field, int defaultValue) {
        if (!root.has(field)) {
            return defaultValue;
        }
        JsonNode node = root.get(field);
        if (node.isNull()) {
            return -1;
        }
        if (node.isArray()) {
            if (node.isEmpty()) {
                return -1;
            }
            node = node.get(0);
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
            throw wrongType(field, "a non-negative integer or a list of them");
        }
        return node.intValue();
    }
}
