package dev.prunelab.pruning.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.pruning.model.ModelFormatException;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Predicate;

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
        return required(field, node -> node.isIntegralNumber() && node.canConvertToInt(), "a 32-bit integer",
                JsonNode::intValue);
    }

    public int optionalInt(String field, int defaultValue) {
        return has(field) ? requiredInt(field) : defaultValue;
    }

    public double optionalDouble(String field, double defaultValue) {
        return has(field) ? required(field, JsonNode::isNumber, "a number", JsonNode::doubleValue) : defaultValue;
    }

    public boolean optionalBoolean(String field, boolean defaultValue) {
        return has(field) ? required(field, JsonNode::isBoolean, "true or false", JsonNode::booleanValue)
                : defaultValue;
    }

    public String requiredString(String field) {
        return required(field, JsonNode::isTextual, "a string", JsonNode::textValue);
    }

    public String optionalString(String field, String defaultValue) {
        return has(field) ? requiredString(field) : defaultValue;
    }

    /** The field's value when present and of the expected type; the typed reads differ only in the type. */
    private <T> T required(String field, Predicate<JsonNode> typed, String expected, Function<JsonNode, T> value) {
        if (!has(field)) {
            throw invalid("field '" + field + "' is missing");
        }
        JsonNode node = root.get(field);
        if (!typed.test(node)) {
            throw wrongType(field, expected);
        }
        return value.apply(node);
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
