package dev.prunelab.pruning.family.phi3;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matrices stored as one whose rows are several: Phi-3's qkv_proj holds q_proj, k_proj and v_proj one after the
 * other, its gate_up_proj gate_proj and up_proj. Each part is a contiguous block of rows of the [out, in] fused
 * weight, so presenting it split ({@link #split}) or fusing split matrices back ({@link #fuse}) copies rows only.
 */
final class FusedMatrices {

    /** One fused matrix: its name and the parts its rows hold, in order. */
    record Fusion(String fused, List<Part> parts) {
        Fusion {
            parts = List.copyOf(parts);
        }

        long rows() {
            return parts.stream().mapToLong(Part::rows).sum();
        }
    }

    /**
     * @param rows   the part's rows in a checkpoint as published
     * @param fields what config.json says of its rows, named in errors ("num_attention_heads 32 x head_dim 96")
     */
    record Part(String name, long rows, String fields) {
    }

    private FusedMatrices() {
    }

    /**
     * The checkpoint with each fused matrix replaced by its parts. Every fused matrix must be present with the
     * rows config.json gives its parts and {@code columns} columns; the error names the fused tensor.
     */
    static TensorSource split(TensorSource checkpoint, List<Fusion> fusions, long columns, Path source,
            String modelType) {
        Map<String, Slice> parts = new LinkedHashMap<>();
        for (Fusion fusion : fusions) {
            if (!checkpoint.contains(fusion.fused())) {
                throw new ModelFormatException(source, fusion.fused(), "missing (required by the " + modelType
                        + " layout)");
            }
            TensorInfo info = checkpoint.info(fusion.fused());
            long[] expected = {fusion.rows(), columns};
            if (!Arrays.equals(info.shape(), expected)) {
                throw new ModelFormatException(info.file(), fusion.fused(), "shape " + Arrays.toString(info.shape())
                        + " where [" + String.join(" + ", fusion.parts().stream().map(Part::fields).toList()) + " = "
                        + fusion.rows() + ", " + columns + "] was expected");
            }
            long offset = 0;
            for (Part part : fusion.parts()) {
                parts.put(part.name(), new Slice(fusion.fused(), offset, part.rows()));
                offset += part.rows();
            }
        }
        return new Split(checkpoint, parts, fusions.stream().map(Fusion::fused).toList());
    }

    /** The parts' rows [offset, offset + rows) of a fused matrix. */
    private record Slice(String fused, long offset, long rows) {
    }

    /**
     * A source that presents another's tensors with some names replaced by others (the fused by their parts, or
     * back); it owns the other source and closes it.
     */
    private abstract static class Renamed implements TensorSource {
        private final TensorSource source;
        private final Set<String> names;

        Renamed(TensorSource source, Collection<String> removed, Collection<String> added) {
            this.source = source;
            TreeSet<String> all = new TreeSet<>(source.names());
            removed.forEach(all::remove);
            all.addAll(added);
            this.names = Collections.unmodifiableSet(all);
        }

        @Override
        public Set<String> names() {
            return names;
        }

        @Override
        public boolean contains(String name) {
            return names.contains(name);
        }

        @Override
        public void close() {
            source.close();
        }
    }

    /** Fused matrices presented as their parts. */
    private static final class Split extends Renamed {
        private final TensorSource checkpoint;
        private final Map<String, Slice> parts;

        Split(TensorSource checkpoint, Map<String, Slice> parts, List<String> fused) {
            super(checkpoint, fused, parts.keySet());
            this.checkpoint = checkpoint;
            this.parts = parts;
        }

        @Override
        public TensorInfo info(String name) {
            Slice slice = parts.get(name);
            if (slice == null) {
                return checkpoint.info(name);   // a fused name is missing here; the checkpoint names it
            }
            TensorInfo fused = checkpoint.info(slice.fused());
            return new TensorInfo(name, fused.dtype(), new long[] {slice.rows(), fused.dimension(1)}, fused.file());
        }

        @Override
        public float[] readRange(String name, long first, int count) {
            // a part is cut whole from its fused tensor
            return parts.containsKey(name) ? Arrays.copyOfRange(readFloats(name), (int) first, (int) first + count)
                    : checkpoint.readRange(name, first, count);
        }

        @Override
        public float[] readFloats(String name) {
            Slice slice = parts.get(name);
            if (slice == null) {
                if (!contains(name)) {
                    throw new ModelFormatException(checkpoint.info(name).file(), name, "is read as its parts here");
                }
                return checkpoint.readFloats(name);
            }
            float[] fused = checkpoint.readFloats(slice.fused());
            int columns = (int) checkpoint.info(slice.fused()).dimension(1);
            return Arrays.copyOfRange(fused, (int) (slice.offset() * columns),
                    (int) ((slice.offset() + slice.rows()) * columns));
        }
    }

    /**
     * Split matrices fused back: each fusion's parts, whatever rows they now have, one after the other under the
     * fused name; every other tensor as it is.
     */
    static TensorSource fuse(TensorSource tensors, List<Fusion> fusions) {
        return new Fused(tensors, fusions);
    }

    private static final class Fused extends Renamed {
        private final TensorSource tensors;
        private final Map<String, Fusion> byName = new LinkedHashMap<>();

        Fused(TensorSource tensors, List<Fusion> fusions) {
            super(tensors, fusions.stream().flatMap(fusion -> fusion.parts().stream().map(Part::name)).toList(),
                    fusions.stream().map(Fusion::fused).toList());
            this.tensors = tensors;
            for (Fusion fusion : fusions) {
                byName.put(fusion.fused(), fusion);
            }
        }

        @Override
        public TensorInfo info(String name) {
            Fusion fusion = byName.get(name);
            if (fusion == null) {
                return tensors.info(name);
            }
            long rows = 0;
            long columns = -1;
            DType dtype = null;
            Path file = null;
            for (Part part : fusion.parts()) {
                TensorInfo info = tensors.info(part.name());
                if (info.rank() != 2 || (columns >= 0 && info.dimension(1) != columns)) {
                    throw new ModelFormatException(info.file(), part.name(), "shape " + Arrays.toString(info.shape())
                            + " cannot be fused into " + name);
                }
                rows += info.dimension(0);
                columns = info.dimension(1);
                dtype = dtype == null ? info.dtype() : dtype;
                file = file == null ? info.file() : file;
            }
            return new TensorInfo(name, dtype, new long[] {rows, columns}, file);
        }

        @Override
        public float[] readRange(String name, long first, int count) {
            // a fused tensor is assembled whole from its parts
            return byName.containsKey(name) ? Arrays.copyOfRange(readFloats(name), (int) first, (int) first + count)
                    : tensors.readRange(name, first, count);
        }

        @Override
        public float[] readFloats(String name) {
            Fusion fusion = byName.get(name);
            if (fusion == null) {
                return tensors.readFloats(name);
            }
            TensorInfo info = info(name);
            float[] fused = new float[Math.toIntExact(info.elementCount())];
            int offset = 0;
            for (Part part : fusion.parts()) {
                float[] values = tensors.readFloats(part.name());
                System.arraycopy(values, 0, fused, offset, values.length);
                offset += values.length;
            }
            return fused;
        }
    }
}
