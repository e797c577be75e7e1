package dev.prunelab.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process (JVM heap, ONNX Runtime's native arenas and mapped weights together): the
 * figure every report's memory fields mean, read from Linux's /proc/self/status.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** VmHWM ("high water mark") from /proc/self/status in bytes, or null where there is no /proc (not Linux). */
    public static Long peakRssBytes() {
        return statusKilobytes("VmHWM:");
    }

    /** VmRSS: resident memory now, in bytes, or null without /proc. */
    public static Long currentRssBytes() {
        return statusKilobytes("VmRSS:");
    }

    private static Long statusKilobytes(String key) {
        if (!Files.isReadable(STATUS)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    // "VmHWM:\t  123456 kB"
                    String number = line.substring(key.length()).replace("kB", "").trim();
                    return Long.parseLong(number) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}
