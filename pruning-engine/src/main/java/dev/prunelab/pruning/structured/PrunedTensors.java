package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SafetensorsWriter;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.RoutingTensorSource;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The model's tensors with the structurally pruned ones replaced by smaller float32 copies, and tensors the model
 * lacked (a bias created by FLAP's compensation) added. A copy is held in memory when put; {@link #spill} writes the
 * copies put since the last spill (a finished block's) to a safetensors file of their own and drops them from the
 * heap, so that a prune holds one block's pruned weights at a time (an 8B model's pruned blocks are 15-20 GB in
 * float32). Closing releases the copies and deletes the spill files; the base belongs to the loaded model.
 */
final class PrunedTensors implements RoutingTensorSource {
    private final TensorSource base;
    private final InMemoryTensors copies = new InMemoryTensors(Path.of("<structurally pruned in memory>"));
    private final Map<String, float[]> unspilled = new LinkedHashMap<>(); // put since the last spill, in order (held)
    private final Map<String, SafetensorsFile> spilled = new HashMap<>();
    private final List<SafetensorsFile> spillFiles = new ArrayList<>();

    PrunedTensors(TensorSource base) {
        this.base = base;
    }

    /** Replaces or adds a tensor (held, not copied). */
    void put(String name, float[] data, long... shape) {
        copies.put(name, data, shape);
        unspilled.put(name, data);
        spilled.remove(name); // a tensor cut again after a spill is the held copy from here on
    }

    /**
     * Writes every tensor put since the last spill to {@code file} (float32 safetensors) and reads them from there
     * from now on, their heap copies released. Nothing to write: no file.
     */
    void spill(Path file) {
        if (unspilled.isEmpty()) {
            return;
        }
        write(file);
        SafetensorsFile reader = SafetensorsFile.open(file, Optional::of); // the names as written, not canonicalised
        spillFiles.add(reader);
        for (String name : unspilled.keySet()) {
            copies.remove(name);
            spilled.put(name, reader);
        }
        unspilled.clear();
    }

    /**
     * Writes every tensor put since the last spill to {@code file} (float32 safetensors, the names as put), keeping
     * them held: the layer search's database takes a block's pruned tensors this way.
     */
    void write(Path file) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String name : unspilled.keySet()) {
            entries.add(new SafetensorsWriter.Entry(name, DType.F32, copies.info(name).shape()));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            // the held arrays themselves: reading them back through the copies would clone each one
            unspilled.forEach(writer::write);
        }
    }

    /** Where a tensor is read from: the held copies, a spill file, else the model. */
    @Override
    public TensorSource sourceOf(String name) {
        if (copies.contains(name)) {
            return copies;
        }
        SafetensorsFile file = spilled.get(name);
        return file != null ? file : base;
    }

    @Override
    public Set<String> names() {
        TreeSet<String> names = new TreeSet<>(base.names());
        names.addAll(copies.names());
        names.addAll(spilled.keySet());
        return Collections.unmodifiableSet(names);
    }

    @Override
    public boolean contains(String name) {
        return copies.contains(name) || spilled.containsKey(name) || base.contains(name);
    }

    @Override
    public void close() {
        copies.close();
        UncheckedIOException failure = null;
        for (SafetensorsFile file : spillFiles) {
            file.close();
            try {
                Files.deleteIfExists(file.file());
            } catch (IOException e) {
                failure = new UncheckedIOException(file.file() + ": cannot delete the spill file: " + e.getMessage(), e);
            }
        }
        spillFiles.clear();
        spilled.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
