package dev.prunelab.measure;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * This process's CPU time, every thread included (ONNX Runtime's native pool threads too), in nanoseconds:
 * {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} through JNA. The JVM's own OperatingSystemMXBean counts in
 * clock ticks (10 ms here), too coarse for a prefill of a few milliseconds; it stays the fallback where libc's
 * clock cannot be called.
 */
public final class ProcessCpuClock {

    static final int CLOCK_PROCESS_CPUTIME_ID = 2; // Linux, <time.h>
    private static final LibC LIBC = load();

    /** The one libc call used; a long[2] stands for struct timespec {time_t tv_sec; long tv_nsec} on 64-bit Linux. */
    interface LibC extends Library {
        int clock_gettime(int clock, long[] timespec);
    }

    private ProcessCpuClock() {
    }

    private static LibC load() {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            return null;
        }
        try {
            return usable(Native.load("c", LibC.class));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** {@code libc} when its process clock answers, else null (the JVM's bean is used then). */
    static LibC usable(LibC libc) {
        try {
            return libc.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, new long[2]) == 0 ? libc : null;
        } catch (RuntimeException e) { // JNA's LastErrorException and the like
            return null;
        }
    }

    /** Nanoseconds of CPU time this process has used. */
    public static long nanos() {
        return nanos(LIBC, ProcessCpuClock::jvmNanos);
    }

    /**
     * The process clock through {@code libc} (null: none), else {@code jvmNanos} (negative: none either).
     *
     * @throws IllegalStateException when neither can be read
     */
    static long nanos(LibC libc, LongSupplier jvmNanos) {
        if (libc != null) {
            long[] timespec = new long[2];
            if (libc.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, timespec) == 0) {
                return timespecNanos(timespec);
            }
        }
        long nanos = jvmNanos.getAsLong();
        if (nanos >= 0) {
            return nanos;
        }
        throw new IllegalStateException("this JVM cannot read its process CPU time; the energy estimate needs it");
    }

    /** struct timespec {tv_sec, tv_nsec} as nanoseconds. */
    static long timespecNanos(long[] timespec) {
        return timespec[0] * 1_000_000_000L + timespec[1];
    }

    /** The JVM's process CPU time (clock-tick resolution), or -1 where the JVM cannot read it. */
    private static long jvmNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The clock's resolution in this process: nanoseconds through libc, clock ticks through the JVM's bean. */
    public static boolean fineGrained() {
        return LIBC != null;
    }
}
