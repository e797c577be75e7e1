package dev.prunelab.pruning.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Locale;

/**
 * config.json's {@code rope_scaling}: how the rotary inverse frequencies are scaled, as transformers'
 * modeling_rope_utils computes them ({@code _compute_default_rope_parameters}, {@code _compute_linear_scaling_rope_parameters},
 * {@code _compute_llama3_parameters}). Every other {@code rope_type} (yarn, dynamic, longrope, ...) is refused by name.
 *
 * @param factor               linear and llama3: the context extension factor (1 for default)
 * @param lowFreqFactor        llama3 only: wavelengths above original / low are divided by the factor
 * @param highFreqFactor       llama3 only: wavelengths below original / high are kept; between the two they are blended
 * @param originalMaxPositions llama3 only: original_max_position_embeddings, the context the model was pretrained for
 */
public record RotaryScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositions) {

    /** The rope_type values the lab computes, with their config.json spelling. */
    public enum Type {
        DEFAULT("default"), LINEAR("linear"), LLAMA3("llama3");

        private final String id;

        Type(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        static Type of(String id) {
            for (Type type : values()) {
                if (type.id.equals(id)) {
                    return type;
                }
            }
            return null;
        }

        static String supported() {
            return String.join(", ", Arrays.stream(values()).map(Type::id).toList());
        }
    }

    /** No rope_scaling: theta^(-2i/d). */
    public static final RotaryScaling NONE = new RotaryScaling(Type.DEFAULT, 1.0, 0, 0, 0);

    public RotaryScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope_scaling needs a rope_type");
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("rope_scaling.factor must be positive, was " + factor);
        }
        if (type == Type.LLAMA3) {
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
                throw new IllegalArgumentException("rope_scaling needs 0 < low_freq_factor < high_freq_factor, was "
                        + lowFreqFactor + " and " + highFreqFactor);
            }
            if (originalMaxPositions <= 0) {
                throw new IllegalArgumentException("rope_scaling.original_max_position_embeddings must be positive, was "
                        + originalMaxPositions);
            }
        }
    }

    public static RotaryScaling linear(double factor) {
        return new RotaryScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    public static RotaryScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        return new RotaryScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /**
     * The inverse frequency of each rotated pair i &lt; rotaryDim/2: theta^(-2i/rotaryDim), then
     * <ul>
     * <li>linear: divided by the factor;</li>
     * <li>llama3: with wavelength λ = 2π/f and L = original_max_position_embeddings, kept where λ &lt; L/high,
     * divided by the factor where λ &gt; L/low, and between the two blended, (1 - s)·f/factor + s·f with
     * s = (L/λ - low) / (high - low).</li>
     * </ul>
     */
    public double[] inverseFrequencies(double theta, int rotaryDim) {
        double[] inverse = new double[rotaryDim / 2];
        for (int i = 0; i < inverse.length; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
            inverse[i] = switch (type) {
                case DEFAULT -> f;
                case LINEAR -> f / factor;
                case LLAMA3 -> llama3(f);
            };
        }
        return inverse;
    }

    private double llama3(double f) {
        double wavelength = 2 * Math.PI / f;
        if (wavelength < originalMaxPositions / highFreqFactor) {
            return f;
        }
        if (wavelength > originalMaxPositions / lowFreqFactor) {
            return f / factor;
        }
        double smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * f / factor + smooth * f;
    }

    /**
     * rope_scaling of a config.json (or, as transformers 5 writes it, rope_parameters); absent or null is
     * {@link #NONE}. Its {@code rope_type} (or the older {@code type}) must be one the lab computes.
     */
    public static RotaryScaling read(ConfigFields f) {
        String field = f.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        JsonNode node = f.raw(field);
        if (node == null || node.isNull()) {
            return NONE;
        }
        if (!node.isObject()) {
            throw f.invalid("field '" + field + "' must be an object or null, was " + node);
        }
        JsonNode typeNode = node.hasNonNull("rope_type") ? node.get("rope_type") : node.get("type");
        if (typeNode == null || typeNode.isNull() || !typeNode.isTextual()) {
            throw f.invalid("field '" + field + "' has no rope_type");
        }
        String typeName = typeNode.textValue();
        Type type = Type.of(typeName.toLowerCase(Locale.ROOT));
        if (type == null) {
            throw f.invalid(field + ".rope_type '" + typeName + "' is not supported (supported: " + Type.supported()
                    + ")");
        }
        if (type == Type.DEFAULT) {
            return NONE;
        }
        double factor = number(f, field, node, "factor", type);
        boolean llama3 = type == Type.LLAMA3;
        double low = llama3 ? number(f, field, node, "low_freq_factor", type) : 0;
        double high = llama3 ? number(f, field, node, "high_freq_factor", type) : 0;
        int original = llama3 ? (int) number(f, field, node, "original_max_position_embeddings", type) : 0;
        try {
            return new RotaryScaling(type, factor, low, high, original);
        } catch (IllegalArgumentException e) {
            throw f.invalid(e.getMessage().replace("rope_scaling", field));
        }
    }

    /** rope_theta, or rope_parameters.rope_theta where transformers 5 keeps it. */
    public static double theta(ConfigFields f, double defaultTheta) {
        JsonNode parameters = f.raw("rope_parameters");
        if (parameters != null && parameters.isObject() && parameters.has("rope_theta")) {
            return number(f, "rope_parameters", parameters, "rope_theta", null);
        }
        return f.optionalDouble("rope_theta", defaultTheta);
    }

    private static double number(ConfigFields f, String field, JsonNode node, String key, Type type) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            throw f.invalid("field '" + field + "." + key + "' is missing"
                    + (type == null ? "" : " (required by rope_type '" + type.id() + "')"));
        }
        if (!value.isNumber()) {
            throw f.invalid("field '" + field + "." + key + "' must be a number, was " + value);
        }
        return value.doubleValue();
    }

    /** rope_scaling as save_pretrained writes it: null for the default. */
    public void write(ObjectNode json) {
        if (type == Type.DEFAULT) {
            json.putNull("rope_scaling");
            return;
        }
        ObjectNode scaling = json.putObject("rope_scaling");
        scaling.put("factor", factor);
        if (type == Type.LLAMA3) {
            scaling.put("high_freq_factor", highFreqFactor);
            scaling.put("low_freq_factor", lowFreqFactor);
            scaling.put("original_max_position_embeddings", originalMaxPositions);
        }
        scaling.put("rope_type", type.id());
    }
}
