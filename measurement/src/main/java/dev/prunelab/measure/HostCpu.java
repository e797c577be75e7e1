package dev.prunelab.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's CPU time from the aggregate {@code cpu} line of {@code /proc/stat}, in jiffies: how busy the whole
 * machine was between two reads (an idle baseline's quality, the share of a window a process had).
 */
public final class HostCpu {

    public static final Path PROC_STAT = Path.of("/proc/stat");

    private HostCpu() {
    }

    /**
     * Jiffies of the aggregate line. {@code idle} = idle + iowait; {@code total} = user + nice + system + idle +
     * iowait + irq + softirq + steal (guest and guest_nice are already inside user and nice).
     */
    public record Times(long idle, long total) {
        public long busy() {
            return total - idle;
        }
    }

    public static Times read(Path procStat) throws IOException {
        return parse(Files.readString(procStat));
    }

    /** Parses the first {@code cpu } line of /proc/stat text. */
    public static Times parse(String procStatText) {
        for (String line : procStatText.split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 5) {
                    throw new IllegalArgumentException("/proc/stat cpu line has " + (f.length - 1)
                            + " fields, expected at least 4");
                }
                long[] v = new long[8];
                for (int i = 0; i < v.length && i + 1 < f.length; i++) {
                    try {
                        v[i] = Long.parseLong(f[i + 1]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("/proc/stat cpu line field " + (i + 1) + " is not a number");
                    }
                }
                long idle = v[3] + v[4];
                long total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
                return new Times(idle, total);
            }
        }
        throw new IllegalArgumentException("/proc/stat text has no aggregate 'cpu ' line");
    }

    /** Busy fraction of the whole machine between two reads, [0, 1]; 0 when no time passed. */
    public static double utilisation(Times before, Times after) {
        long total = after.total() - before.total();
        long idle = after.idle() - before.idle();
        if (total <= 0) {
            return 0;
        }
        return Math.min(1, Math.max(0, 1 - (double) idle / total));
    }
}
