package dev.prunelab.energy;

import dev.prunelab.events.PowerSourceKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * Not a sensor: CPU power estimated as utilisation × TDP, as CodeCarbon does without RAPL. Utilisation is
 * 1 − Δidle / Δtotal between two reads of the aggregate {@code cpu} line of {@code /proc/stat}. Samples are
 * published with source {@code estimate} and this class's {@link #basis()}.
 */
public final class CpuUtilisationEstimate implements PowerSource {

    public static final Path PROC_STAT = Path.of("/proc/stat");

    private final Path procStat;
    private final double tdpWatts;
    private CpuTimes previous;

    /**
     * Jiffies of the aggregate line. {@code idle} = idle + iowait; {@code total} = user + nice + system + idle +
     * iowait + irq + softirq + steal (guest and guest_nice are already inside user and nice).
     */
    public record CpuTimes(long idle, long total) {
    }

    public CpuUtilisationEstimate(Path procStat, double tdpWatts) {
        if (!(tdpWatts > 0 && Double.isFinite(tdpWatts))) {
            throw new IllegalArgumentException("tdpWatts " + tdpWatts + " must be a positive number");
        }
        this.procStat = procStat;
        this.tdpWatts = tdpWatts;
    }

    /** Parses the first {@code cpu } line of /proc/stat text. */
    public static CpuTimes parse(String procStatText) {
        for (String line : procStatText.split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 5) {
                    throw new IllegalArgumentException("/proc/stat cpu line has " + (f.length - 1)
                            + " fields, expected at least 4: " + line);
                }
                long[] v = new long[8];
                for (int i = 0; i < v.length && i + 1 < f.length; i++) {
                    v[i] = Long.parseLong(f[i + 1]);
                }
                long idle = v[3] + v[4];
                long total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
                return new CpuTimes(idle, total);
            }
        }
        throw new IllegalArgumentException("/proc/stat text has no aggregate 'cpu ' line");
    }

    /** Busy fraction between two reads, [0, 1]; 0 when no time passed. */
    public static double utilisation(CpuTimes before, CpuTimes after) {
        long total = after.total() - before.total();
        long idle = after.idle() - before.idle();
        if (total <= 0) {
            return 0;
        }
        return Math.min(1, Math.max(0, 1 - (double) idle / total));
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public PowerSourceKind kind() {
        return PowerSourceKind.ESTIMATE;
    }

    @Override
    public String basis() {
        return "CPU utilisation from " + procStat + " x TDP " + tdpWatts + " W (CodeCarbon's method; no power sensor)";
    }

    public double tdpWatts() {
        return tdpWatts;
    }

    @Override
    public synchronized OptionalDouble sampleWatts(Instant now) throws IOException {
        CpuTimes current = parse(Files.readString(procStat));
        CpuTimes before = previous;
        previous = current;
        if (before == null || current.total() <= before.total()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(utilisation(before, current) * tdpWatts);
    }
}
