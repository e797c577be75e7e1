package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The model without some decoder blocks: kept block k' presents the tensors of source block
 * {@code kept[k']} under layer k' names ({@code model.layers.5.} read as {@code model.layers.7.}), so the
 * exporter, which counts layers from the config ({@link DecoderConfig#keepingLayers}), sees a shallower model of the
 * same family.
 */
final class DroppedBlocks implements TensorSource {
    private final TensorSource base;
    private final String prefix;       // "model.layers.", "model.decoder.layers." or "transformer.h."
    private final int[] kept;          // (new layers) source layer of each kept block, ascending

    DroppedBlocks(DecoderConfig config, TensorSource base, int[] kept) {
        this.base = base;
        this.prefix = ModelFamilies.of(config).layerPrefix();
        this.kept = kept.clone();
    }

    /** The source name of a name in the shallower model, or null for a layer that does not exist there. */
    private String sourceName(String name) {
        if (!name.startsWith(prefix)) {
            return name;
        }
        int dot = name.indexOf('.', prefix.length());
        int layer = Integer.parseInt(name.substring(prefix.length(), dot));
        return layer < kept.length ? prefix + kept[layer] + name.substring(dot) : null;
    }

    @Override
    public Set<String> names() {
        TreeSet<String> names = new TreeSet<>();
        for (String name : base.names()) {
            if (!name.startsWith(prefix)) {
                names.add(name);
            }
        }
        for (int layer = 0; layer < kept.length; layer++) {
            String from = prefix + kept[layer] + ".";
            for (String name : base.names()) {
                if (name.startsWith(from)) {
                    names.add(prefix + layer + "." + name.substring(from.length()));
                }
            }
        }
        return Collections.unmodifiableSet(names);
    }

    @Override
    public boolean contains(String name) {
        String source = sourceName(name);
        return source != null && base.contains(source);
    }

    @Override
    public TensorInfo info(String name) {
        String source = sourceName(name);
        if (source == null) {
            throw new ModelFormatException(Path.of("<dropped blocks>"), name, "layer was dropped");
        }
        TensorInfo info = base.info(source);
        return new TensorInfo(name, info.dtype(), info.shape(), info.file());
    }

    @Override
    public float[] readFloats(String name) {
        info(name);
        return base.readFloats(sourceName(name));
    }

    @Override
    public float[] readRange(String name, long first, int count) {
        info(name);
        return base.readRange(sourceName(name), first, count);
    }

    @Override
    public void close() {
        // the base belongs to the loaded model
    }
}
