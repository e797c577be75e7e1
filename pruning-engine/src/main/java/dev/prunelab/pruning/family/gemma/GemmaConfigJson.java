package dev.prunelab.pruning.family.gemma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.family.gemma.GemmaConfig.Attention;
import dev.prunelab.pruning.family.gemma.GemmaConfig.LayerType;
import dev.prunelab.pruning.family.gemma.GemmaConfig.Rope;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2 and Gemma 3's config.json, read (absent fields take transformers' defaults, a field set to null turns
 * its feature off) and written back as transformers reads it.
 */
final class GemmaConfigJson {
    private static final String ACTIVATION = "gelu_pytorch_tanh";

    private GemmaConfigJson() {
    }

    static GemmaConfig read(ConfigFields f, String modelType) {
        boolean gemma3 = GemmaConfig.GEMMA3_TEXT.equals(modelType);
        if (f.optionalBoolean("use_bidirectional_attention", false)) {
            throw f.invalid("field 'use_bidirectional_attention': true is not supported (causal decoders only)");
        }
        String activation = f.optionalString("hidden_activation", ACTIVATION);
        if (!ACTIVATION.equals(activation)) {
            throw f.invalid("field 'hidden_activation': '" + activation + "' is not supported (" + ACTIVATION + ")");
        }
        int layers = f.requiredInt("num_hidden_layers");
        double fullTheta = f.optionalDouble("rope_theta", gemma3 ? 1_000_000.0 : 10_000.0);
        Rope fullRope = rope(f, "rope_scaling", f.raw("rope_scaling"), fullTheta);
        Rope slidingRope = gemma3 ? Rope.unscaled(f.optionalDouble("rope_local_base_freq", 10_000.0)) : fullRope;
        JsonNode parameters = f.raw("rope_parameters");     // transformers 5's spelling of the two fields above
        if (parameters != null && !parameters.isNull()) {
            if (!parameters.isObject()) {
                throw f.invalid("field 'rope_parameters' must be an object, was " + parameters);
            }
            if (parameters.has("full_attention") || parameters.has("sliding_attention")) {
                fullRope = rope(f, "rope_parameters.full_attention", parameters.get("full_attention"), fullTheta);
                slidingRope = rope(f, "rope_parameters.sliding_attention", parameters.get("sliding_attention"),
                        slidingRope.theta());
            } else {
                fullRope = rope(f, "rope_parameters", parameters, fullTheta);
                slidingRope = gemma3 ? slidingRope : fullRope;
            }
        }
        Attention attention = new Attention(
                f.optionalDouble("query_pre_attn_scalar", 256),
                // transformers' Gemma3Attention never passes attn_logit_softcapping to its attention functions
                gemma3 ? 0 : softcap(f, "attn_logit_softcapping", 50.0),
                slidingWindow(f),
                layerTypes(f, layers, gemma3),
                fullRope, slidingRope);
        return new GemmaConfig(modelType,
                f.requiredInt("vocab_size"),
                f.requiredInt("hidden_size"),
                f.requiredInt("intermediate_size"),
                layers,
                f.requiredInt("num_attention_heads"),
                f.optionalInt("num_key_value_heads", 4),
                f.optionalInt("head_dim", 256),
                f.optionalInt("max_position_embeddings", gemma3 ? 131_072 : 8192),
                f.optionalDouble("rms_norm_eps", 1e-6),
                f.optionalBoolean("tie_word_embeddings", true),
                f.optionalBoolean("attention_bias", false),
                softcap(f, "final_logit_softcapping", gemma3 ? 0 : 30.0),
                attention);
    }

    /** Absent: transformers' default; null: none (0); else a positive cap. */
    private static double softcap(ConfigFields f, String field, double defaultCap) {
        JsonNode node = f.raw(field);
        if (node == null) {
            return defaultCap;
        }
        if (node.isNull()) {
            return 0;
        }
        if (!node.isNumber() || !(node.doubleValue() > 0)) {
            throw f.invalid("field '" + field + "' must be a positive number or null, was " + node);
        }
        return node.doubleValue();
    }

    private static int slidingWindow(ConfigFields f) {
        JsonNode node = f.raw("sliding_window");
        if (node == null) {
            return 4096;
        }
        if (node.isNull()) {
            return 0;
        }
        int window = f.requiredInt("sliding_window");
        if (window <= 0) {
            throw f.invalid("field 'sliding_window' must be positive or null, was " + window);
        }
        return window;
    }

    /**
     * layer_types, or where it is absent the rule transformers fills it in with: Gemma 2 alternates sliding (even
     * layers) and full (odd); Gemma 3 makes every sliding_window_pattern-th layer (default 6) full.
     */
    private static List<LayerType> layerTypes(ConfigFields f, int layers, boolean gemma3) {
        List<LayerType> types = new ArrayList<>();
        JsonNode listed = f.raw("layer_types");
        if (listed != null && !listed.isNull()) {
            if (!listed.isArray()) {
                throw f.invalid("field 'layer_types' must be a list, was " + listed);
            }
            if (listed.size() != layers) {
                throw f.invalid("field 'layer_types' has " + listed.size() + " entries for num_hidden_layers "
                        + layers);
            }
            for (int layer = 0; layer < layers; layer++) {
                try {
                    types.add(LayerType.of(listed.get(layer).asText()));
                } catch (IllegalArgumentException e) {
                    throw f.invalid("field 'layer_types': entry " + layer + " " + e.getMessage());
                }
            }
            return types;
        }
        int pattern = gemma3 ? f.optionalInt("sliding_window_pattern", 6) : 2;
        if (pattern <= 0) {
            throw f.invalid("field 'sliding_window_pattern' must be positive, was " + pattern);
        }
        for (int layer = 0; layer < layers; layer++) {
            types.add((layer + 1) % pattern != 0 ? LayerType.SLIDING : LayerType.FULL);
        }
        return types;
    }

    /**
     * A rope_scaling object (or one of rope_parameters'): rope_type (or type) default or linear (with its factor),
     * and rope_theta where it has one.
     */
    private static Rope rope(ConfigFields f, String field, JsonNode spec, double theta) {
        if (spec == null || spec.isNull()) {
            return Rope.unscaled(theta);
        }
        if (!spec.isObject()) {
            throw f.invalid("field '" + field + "' must be an object or null, was " + spec);
        }
        if (spec.has("rope_theta")) {
            if (!spec.get("rope_theta").isNumber()) {
                throw f.invalid("field '" + field + ".rope_theta' must be a number, was " + spec.get("rope_theta"));
            }
            theta = spec.get("rope_theta").doubleValue();
        }
        JsonNode type = spec.hasNonNull("rope_type") ? spec.get("rope_type") : spec.get("type");
        String name = type == null || type.isNull() ? "default" : type.asText();
        switch (name) {
            case "default":
                return Rope.unscaled(theta);
            case "linear":
                JsonNode factor = spec.get("factor");
                if (factor == null || !factor.isNumber() || !(factor.doubleValue() >= 1)) {
                    throw f.invalid("field '" + field + "': linear scaling needs a factor of at least 1, was "
                            + factor);
                }
                return new Rope(theta, factor.doubleValue());
            default:
                throw f.invalid("field '" + field + "': rope_type '" + name
                        + "' is not supported (default, linear)");
        }
    }

    static void write(GemmaConfig c, ObjectNode json) {
        Attention a = c.attention();
        json.putArray("architectures").add(c.qkNorm() ? "Gemma3ForCausalLM" : "Gemma2ForCausalLM");
        ModelFamily.writeShape(c, json);
        json.put("hidden_activation", ACTIVATION);
        json.put("rms_norm_eps", c.rmsNormEps());
        json.put("rope_theta", a.fullRope().theta());
        if (a.fullRope().linearFactor() == 1.0) {
            json.putNull("rope_scaling");
        } else {
            json.putObject("rope_scaling").put("rope_type", "linear").put("factor", a.fullRope().linearFactor());
        }
        if (c.qkNorm()) {
            json.put("rope_local_base_freq", a.slidingRope().theta());
            if (a.slidingRope().linearFactor() != 1.0) {
                // only transformers 5's per-layer-type spelling can scale the local rotary
                ObjectNode parameters = json.putObject("rope_parameters");
                putRope(parameters.putObject("full_attention"), a.fullRope());
                putRope(parameters.putObject("sliding_attention"), a.slidingRope());
            }
        }
        putNumber(json, "query_pre_attn_scalar", a.queryPreAttnScalar());
        putOrNull(json, "sliding_window", a.slidingWindow());
        ArrayNode types = json.putArray("layer_types");
        a.layerTypes().forEach(type -> types.add(type.id()));
        int pattern = regularPattern(a.layerTypes());
        if (c.qkNorm() && pattern > 0) {
            json.put("sliding_window_pattern", pattern);   // what transformers before layer_types reads
        }
        putOrNull(json, "final_logit_softcapping", c.finalLogitSoftcap());
        putOrNull(json, "attn_logit_softcapping", a.logitSoftcap());
        json.put("tie_word_embeddings", c.tieWordEmbeddings());
        json.put("attention_bias", c.attentionBias());
    }

    /** The p whose rule "layer i is full iff (i + 1) % p == 0" gives these types, or 0 if none does. */
    private static int regularPattern(List<LayerType> types) {
        for (int pattern = 1; pattern <= types.size() + 1; pattern++) {
            boolean matches = true;
            for (int layer = 0; layer < types.size() && matches; layer++) {
                matches = (types.get(layer) == LayerType.SLIDING) == ((layer + 1) % pattern != 0);
            }
            if (matches) {
                return pattern;
            }
        }
        return 0;
    }

    private static void putRope(ObjectNode json, Rope rope) {
        json.put("rope_theta", rope.theta());
        if (rope.linearFactor() == 1.0) {
            json.put("rope_type", "default");
        } else {
            json.put("rope_type", "linear").put("factor", rope.linearFactor());
        }
    }

    private static void putNumber(ObjectNode json, String field, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            json.put(field, (long) value);
        } else {
            json.put(field, value);
        }
    }

    private static void putOrNull(ObjectNode json, String field, double value) {
        if (value == 0) {
            json.putNull(field);
        } else {
            putNumber(json, field, value);
        }
    }
}
