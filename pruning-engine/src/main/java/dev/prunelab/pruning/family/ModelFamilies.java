package dev.prunelab.pruning.family;

import dev.prunelab.pruning.family.gemma.GemmaFamily;
import dev.prunelab.pruning.family.gpt2.Gpt2Family;
import dev.prunelab.pruning.family.llama.LlamaFamily;
import dev.prunelab.pruning.family.opt.OptFamily;
import dev.prunelab.pruning.family.phi3.Phi3Family;
import dev.prunelab.pruning.model.DecoderConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The families this lab loads, exports and prunes, keyed by config.json's {@code model_type}. */
public final class ModelFamilies {
    /** Adding a family: its package, and one entry here. */
    private static final List<ModelFamily> FAMILIES = List.of(new LlamaFamily(), new OptFamily(), new Gpt2Family(),
            new GemmaFamily(), new Phi3Family());

    private static final Map<String, ModelFamily> BY_MODEL_TYPE = new LinkedHashMap<>();

    static {
        for (ModelFamily family : FAMILIES) {
            for (String modelType : family.modelTypes()) {
                if (BY_MODEL_TYPE.put(modelType, family) != null) {
                    throw new IllegalStateException("model_type '" + modelType + "' claimed by two families");
                }
            }
        }
    }

    private ModelFamilies() {
    }

    public static List<ModelFamily> all() {
        return FAMILIES;
    }

    /** The family of a config.json {@code model_type}; an unknown type is an error that names it. */
    public static ModelFamily forModelType(String modelType) {
        if (modelType == null) {
            throw new IllegalArgumentException("config.json has no model_type");
        }
        ModelFamily family = BY_MODEL_TYPE.get(modelType);
        if (family == null) {
            throw new IllegalArgumentException("unknown model_type '" + modelType + "' (supported: "
                    + String.join(", ", BY_MODEL_TYPE.keySet()) + ")");
        }
        return family;
    }

    /** The family of a config this lab read or built. */
    public static ModelFamily of(DecoderConfig config) {
        return forModelType(config.modelType());
    }

    /** The family with this {@link ModelFamily#id()} ("llama", "opt", "gpt2"). */
    public static ModelFamily byId(String id) {
        for (ModelFamily family : FAMILIES) {
            if (family.id().equals(id)) {
                return family;
            }
        }
        throw new IllegalArgumentException("unknown family '" + id + "' (expected "
                + String.join(", ", FAMILIES.stream().map(ModelFamily::id).toList()) + ")");
    }
}
