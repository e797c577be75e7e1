package dev.prunelab.pruning.family;

import java.util.List;

/**
 * The four facts that name a family before any config.json is read: its id, the model_type values it reads and the
 * BOS/EOS token ids of its Hugging Face config class. They are values, so each family passes them here once.
 */
public abstract class NamedFamily implements ModelFamily {
    private final String id;
    private final List<String> modelTypes;
    private final int defaultBosTokenId;
    private final int defaultEosTokenId;

    protected NamedFamily(String id, List<String> modelTypes, int defaultBosTokenId, int defaultEosTokenId) {
        this.id = id;
        this.modelTypes = List.copyOf(modelTypes);
        this.defaultBosTokenId = defaultBosTokenId;
        this.defaultEosTokenId = defaultEosTokenId;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final List<String> modelTypes() {
        return modelTypes;
    }

    @Override
    public final int defaultBosTokenId() {
        return defaultBosTokenId;
    }

    @Override
    public final int defaultEosTokenId() {
        return defaultEosTokenId;
    }
}
