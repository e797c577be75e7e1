package dev.prunelab.measure;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process (JVM heap, ONNX Runtime's native arenas and mapped weights together): the
 * figure every report's memory fields mean, read from Linux's /proc/self/status.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    static final String PEAK_KEY = "VmHWM:";
    static final String CURRENT_KEY = "VmRSS:";

    /**
     * What the JVM and ONNX Runtime hold before any model data (code, threads, arenas): the allowance the pruner's
     * and the evaluator's memory checks add to a model's own bytes.
     */
    public static final long RUNTIME_BYTES = 256L << 20;

    private ProcessMemory() {
    }

    /** The memory of this machine, or of its container where one limits it (the JVM reads the cgroup limit). */
    public static long machineBytes() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }

    /** VmHWM ("high water mark") from /proc/self/status in bytes, or null where there is no /proc (not Linux). */
    public static Long peakRssBytes() {
        return statusKilobytes(PEAK_KEY);
    }

    /** VmRSS: resident memory now, in bytes, or null without /proc. */
    public static Long currentRssBytes() {
        return statusKilobytes(CURRENT_KEY);
    }

    /** VmHWM of a /proc/PID/status text in bytes, or null when the text has no readable VmHWM line. */
    public static Long peakRssBytes(String statusText) {
        return statusBytes(statusText, PEAK_KEY);
    }

    /** VmRSS of a /proc/PID/status text in bytes, or null when the text has no readable VmRSS line. */
    public static Long currentRssBytes(String statusText) {
        return statusBytes(statusText, CURRENT_KEY);
    }

    private static Long statusKilobytes(String key) {
        if (!Files.isReadable(STATUS)) {
            return null;
        }
        try {
            return statusBytes(Files.readString(STATUS), key);
        } catch (IOException e) {
            return null;
        }
    }

    private static Long statusBytes(String statusText, String key) {
        for (String line : statusText.split("\n")) {
            if (line.startsWith(key)) {
                // "VmHWM:\t  123456 kB"
                String number = line.substring(key.length()).replace("kB", "").trim();
                try {
                    return Long.parseLong(number) * 1024;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
