package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.RoutingTensorSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A checkpoint split over several safetensors files by {@code model.safetensors.index.json}, whose
 * {@code weight_map} maps each tensor name to the shard file holding it. Each shard is opened once.
 */
public final class ShardedSafetensors implements RoutingTensorSource {
    private final Path indexFile;
    private final Map<String, SafetensorsFile> shardOf;
    private final List<SafetensorsFile> shards;
    private boolean closed;

    private ShardedSafetensors(Path indexFile, Map<String, SafetensorsFile> shardOf, List<SafetensorsFile> shards) {
        this.indexFile = indexFile;
        this.shardOf = shardOf;
        this.shards = shards;
    }

    public static ShardedSafetensors open(Path indexFile) {
        return open(indexFile, CheckpointNames::canonical);
    }

    public static ShardedSafetensors open(Path indexFile, Function<String, Optional<String>> naming) {
        JsonNode root = Json.read(indexFile, e -> ": " + e.getOriginalMessage());
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(indexFile, "has no \"weight_map\" object");
        }
        Path directory = indexFile.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> byShardName = new LinkedHashMap<>();
        Map<String, SafetensorsFile> shardOf = new TreeMap<>();
        try {
            for (Map.Entry<String, JsonNode> mapping : weightMap.properties()) {
                String stored = mapping.getKey();
                if (!mapping.getValue().isTextual()) {
                    throw new ModelFormatException(indexFile, stored, "weight_map value is not a file name");
                }
                String shardName = mapping.getValue().asText();
                Optional<String> canonical = naming.apply(stored);
                if (canonical.isEmpty()) {
                    continue;
                }
                SafetensorsFile shard = byShardName.get(shardName);
                if (shard == null) {
                    shard = SafetensorsFile.open(shardPath(indexFile, directory, stored, shardName), naming);
                    byShardName.put(shardName, shard);
                }
                String name = canonical.get();
                if (!shard.contains(name)) {
                    throw new ModelFormatException(indexFile, stored, "weight_map places it in " + shard.file()
                            + ", which does not hold it");
                }
                if (shardOf.put(name, shard) != null) {
                    throw new ModelFormatException(indexFile, name, "listed twice in weight_map");
                }
            }
        } catch (RuntimeException e) {
            for (SafetensorsFile shard : byShardName.values()) {
                shard.close();
            }
            throw e;
        }
        return new ShardedSafetensors(indexFile, Collections.unmodifiableMap(shardOf),
                List.copyOf(new ArrayList<>(byShardName.values())));
    }

    /** Shards live next to the index; a name that climbs out of the directory is refused rather than followed. */
    private static Path shardPath(Path indexFile, Path directory, String tensor, String shardName) {
        Path shard = directory.resolve(shardName).normalize();
        if (shardName.isEmpty() || !shard.getParent().equals(directory.normalize())) {
            throw new ModelFormatException(indexFile, tensor, "shard '" + shardName
                    + "' is not a file name in the index's directory");
        }
        return shard;
    }

    public Path indexFile() {
        return indexFile;
    }

    /** The shard files, in the order the index first mentions them. */
    public List<Path> shardFiles() {
        return shards.stream().map(SafetensorsFile::file).toList();
    }

    @Override
    public Set<String> names() {
        return shardOf.keySet();
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    /** The shard that holds {@code name}, per the index's weight_map. */
    @Override
    public SafetensorsFile sourceOf(String name) {
        SafetensorsFile shard = shardOf.get(name);
        if (shard == null) {
            throw new ModelFormatException(indexFile, name, "not in weight_map");
        }
        return shard;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (SafetensorsFile shard : shards) {
            try {
                shard.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
