package dev.prunelab.pruning.memory;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What one stage of a prune holds in memory at once (a block's calibration and pruning, the embedding, the
 * export), part by part, each on the Java heap or in native memory (ONNX Runtime, direct buffers).
 *
 * @param stage what the memory is for, as a user reads it ("block 31", "export")
 */
public record WorkingSet(String stage, List<Part> parts) {

    /** Where a part lives: the heap is bounded by -Xmx, native memory only by the process's limit. */
    public enum Where { JAVA_HEAP, NATIVE }

    /** One allocation of a stage, in bytes. */
    public record Part(String what, long bytes, Where where) {
    }

    public WorkingSet {
        parts = List.copyOf(parts);
    }

    public long bytes() {
        return parts.stream().mapToLong(Part::bytes).sum();
    }

    public long javaHeapBytes() {
        return parts.stream().filter(p -> p.where() == Where.JAVA_HEAP).mapToLong(Part::bytes).sum();
    }

    /** "the pruned block's weights 873 MB, the statistics 1 MB, ..." over the parts of {@code where} (or all). */
    public String describe(Where where) {
        return parts.stream().filter(p -> where == null || p.where() == where).filter(p -> p.bytes() > 0)
                .sorted((a, b) -> Long.compare(b.bytes(), a.bytes()))
                .map(p -> p.what() + " " + size(p.bytes())).collect(Collectors.joining(", "));
    }

    /** Bytes in the binary units -Xmx and --max-memory count in: "873 MiB", "7.9 GiB". */
    public static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%d MiB", Math.max(1, Math.round(bytes / (double) (1L << 20))));
    }
}
