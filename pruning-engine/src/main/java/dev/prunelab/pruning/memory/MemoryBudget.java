package dev.prunelab.pruning.memory;

import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.vocabulary.InvalidSetting;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory a prune may use: a limit on the whole process (--max-memory, by default what the machine or its
 * container has) and the Java heap's maximum (-Xmx). A prune whose largest stage cannot fit is refused before any
 * work, with the stage and the bytes it needs, instead of failing an hour later with an OutOfMemoryError or the
 * kernel's OOM killer.
 *
 * @param limitBytes     bytes the whole process may hold
 * @param limitSource    where the limit came from, for the message ("--max-memory", "the machine's memory")
 * @param javaHeapBytes  the heap's maximum (Runtime.maxMemory)
 */
public record MemoryBudget(long limitBytes, String limitSource, long javaHeapBytes) {
    /**
     * The heap a stage's Java part needs, as a multiple of it: its largest arrays are G1 humongous objects, each in
     * contiguous regions, and a heap filled to its last region fails to place one. Measured on the 8B shape: Wanda
     * prunes whose live arrays were estimated at ~1.7 GiB and 0.89 GiB ran out of heaps of 2 GiB (1.18x) and 1.17 GiB
     * (1.31x) building a block's graph.
     */
    static final double HEAP_HEADROOM = 1.5;

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)?",
            Pattern.CASE_INSENSITIVE);

    public MemoryBudget {
        if (limitBytes <= 0 || javaHeapBytes <= 0) {
            throw new IllegalArgumentException("memory limits must be positive");
        }
    }

    /** This process: {@code maxMemoryBytes} when given (else the machine's or container's memory) and its heap. */
    public static MemoryBudget ofThisProcess(Long maxMemoryBytes) {
        long heap = Runtime.getRuntime().maxMemory();
        if (maxMemoryBytes != null) {
            return new MemoryBudget(maxMemoryBytes, "--max-memory", heap);
        }
        return new MemoryBudget(ProcessMemory.machineBytes(), "the memory of this machine or container", heap);
    }

    /**
     * "4g", "4096m", "4GB", "4 GiB", "12000000000": k/m/g/t multiply by 1024 each, as -Xmx does (GB and GiB alike,
     * so that --max-memory 4g and -Xmx4g mean the same bytes).
     */
    public static long parseBytes(String field, String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new InvalidSetting(field, "'" + text + "' is not a size (for example 4g, 4096m or 4GB)");
        }
        double value = Double.parseDouble(m.group(1));
        int power = m.group(2).isEmpty() ? 0 : "kmgt".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
        double bytes = value * Math.pow(1024, power);
        if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
            throw new InvalidSetting(field, "'" + text + "' is out of range");
        }
        return (long) bytes;
    }

    /**
     * Refuses, naming the stage, its bytes and the limit, the first stage that cannot fit.
     *
     * @return the largest stage, which fits
     */
    public WorkingSet check(List<WorkingSet> stages) {
        for (WorkingSet stage : stages) {
            if (stage.bytes() > limitBytes) {
                throw new InvalidSetting("maxMemory", stage.stage() + " needs " + WorkingSet.size(stage.bytes())
                        + " (" + stage.describe(null) + ") but " + limitSource + " is "
                        + WorkingSet.size(limitBytes));
            }
            if (stage.javaHeapBytes() * HEAP_HEADROOM > javaHeapBytes) {
                throw new InvalidSetting("maxMemory", stage.stage() + " needs " + WorkingSet.size(stage.javaHeapBytes())
                        + " of Java heap (" + stage.describe(WorkingSet.Where.JAVA_HEAP) + "), which wants a heap of "
                        + WorkingSet.size((long) (stage.javaHeapBytes() * HEAP_HEADROOM)) + ", but the heap's maximum"
                        + " (-Xmx) is " + WorkingSet.size(javaHeapBytes) + "; give the JVM more (LAB_JAVA_OPTS=-Xmx"
                        + suggestedHeapGibibytes(stage.javaHeapBytes(), javaHeapBytes) + "g for ./lab)");
            }
        }
        return largest(stages);
    }

    /** The stage with the largest Java part (what -Xmx must hold, with {@link #HEAP_HEADROOM}). */
    public static WorkingSet largestOnHeap(List<WorkingSet> stages) {
        return largestBy(stages, WorkingSet::javaHeapBytes);
    }

    /** The largest stage. */
    public static WorkingSet largest(List<WorkingSet> stages) {
        return largestBy(stages, WorkingSet::bytes);
    }

    /** The first stage with the largest {@code size}. */
    private static WorkingSet largestBy(List<WorkingSet> stages, ToLongFunction<WorkingSet> size) {
        WorkingSet largest = stages.get(0);
        for (WorkingSet stage : stages) {
            if (size.applyAsLong(stage) > size.applyAsLong(largest)) {
                largest = stage;
            }
        }
        return largest;
    }

    /**
     * Whole gibibytes of -Xmx that hold {@code needed} with the headroom, and more than the JVM has now: the serial
     * and parallel collectors report a maximum one survivor space below -Xmx, so -Xmx4g can read as 3.9 GiB, and
     * suggesting -Xmx4g again would not help.
     */
    static long suggestedHeapGibibytes(long needed, long javaHeapBytes) {
        long gibibytes = (long) Math.ceil(needed * HEAP_HEADROOM / (1L << 30));
        return gibibytes << 30 < javaHeapBytes * 1.05 ? (javaHeapBytes * 105 / 100 >> 30) + 1 : gibibytes;
    }
}
