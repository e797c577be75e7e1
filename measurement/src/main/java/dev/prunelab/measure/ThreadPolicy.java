package dev.prunelab.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * How many threads the lab computes with, for ONNX Runtime's intra-op pool and the lab's own Java pools alike.
 * <p>
 * A thread count of 0 ("auto") means: the cores this machine has idle at the moment the work starts. ONNX
 * Runtime splits an operator into one part per pool thread and waits for the slowest; when another process holds
 * a core, the part scheduled there waits for a time slice, and with spinning threads (ONNX Runtime's default)
 * the waiting threads burn the very cores the work needs. Measured on a 2-core machine with one core busy, the
 * default pool ran 3x slower than one thread (issue 13). So auto counts the idle cores over a short sample of
 * {@code /proc/stat} (from {@link #beginSample} where a job called it), not counting this process's own CPU time,
 * and a core counts as idle when at least {@value #IDLE_SHARE_PER_CORE} of it was; never fewer than one thread.
 * Sessions do not spin (see {@link #ORT_INTRA_SPINNING}) unless the user asks ({@code --spin},
 * {@code prunelab.evaluator.spinning}); a request for N > 0 threads is taken as it is.
 */
public final class ThreadPolicy {
    /** A request for "as many threads as there are idle cores". */
    public static final int AUTO = 0;
    /** ONNX Runtime session config keys that stop its pool threads spinning between operators (set to "0"). */
    public static final String ORT_INTRA_SPINNING = "session.intra_op.allow_spinning";
    public static final String ORT_INTER_SPINNING = "session.inter_op.allow_spinning";
    static final double IDLE_SHARE_PER_CORE = 0.75;
    static final long SAMPLE_MILLIS = 60;   // 6 ticks of /proc/stat's 100 Hz per core: enough to tell a busy core
    static final long MAX_WINDOW_MILLIS = 5_000;
    private static final AtomicReference<Sample> begun =
            new AtomicReference<>();
    private static final Path PROC_SELF_STAT = Path.of("/proc/self/stat");

    private ThreadPolicy() {
    }

    /** The threads to use for a request of {@code requested} (0 = auto: the idle cores now, at least 1). */
    public static int resolve(int requested) {
        return resolve(requested, ThreadPolicy::idleCores);
    }

    /** As {@link #resolve(int)}, with auto's count from {@code idleCores}. */
    static int resolve(int requested, IntSupplier idleCores) {
        if (requested < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = one per idle core), was " + requested);
        }
        return requested > 0 ? requested : idleCores.getAsInt();
    }

    /**
     * Starts the idle-core sample now, for a job that resolves its thread count only after some preparation
     * (opening a checkpoint): auto then reads the cores over that preparation instead of pausing
     * {@value #SAMPLE_MILLIS} ms of its own, so that a run with auto is not slower than one with the same count
     * given (measured: 0.2 s of a 12.8 s Wanda prune of stories15M, the pause and its cold start).
     */
    public static void beginSample() {
        beginSample(Machine.SYSTEM);
    }

    static void beginSample(Machine machine) {
        try {
            begun.set(machine.sample());
        } catch (IOException | RuntimeException e) {
            begun.set(null);   // no /proc: auto falls back to every core anyway
        }
    }

    /** Cores idle now (sampled for ~{@value #SAMPLE_MILLIS} ms), at least 1; all cores where /proc cannot be read. */
    public static int idleCores() {
        return idleCores(Machine.SYSTEM);
    }

    /** As {@link #idleCores()}, reading {@code machine} (from the sample {@link #beginSample} began, when recent). */
    static int idleCores(Machine machine) {
        int cores = machine.cores();
        try {
            Sample before = begun.getAndSet(null);
            long waitMillis = before == null ? -1 : remainingMillis(before.nanos(), machine.nanoTime());
            if (waitMillis < 0) {
                before = machine.sample();
                waitMillis = SAMPLE_MILLIS;
            }
            if (waitMillis > 0) {
                machine.pause(waitMillis);
            }
            Sample after = machine.sample();
            long total = after.host().total() - before.host().total();
            if (total <= 0) {
                return cores;
            }
            // /proc/stat's aggregate line counts every core: total jiffies = cores x elapsed jiffies
            double busyCores = (double) (after.host().busy() - before.host().busy()) / total * cores;
            double othersBusyCores = Math.max(0,
                    busyCores - (after.ownJiffies() - before.ownJiffies()) / ((double) total / cores));
            return idleCores(cores, othersBusyCores);
        } catch (IOException | RuntimeException e) {
            return cores;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return cores;
        }
    }

    /**
     * How long a sample begun at {@code begunNanos} must still run at {@code nowNanos} to span
     * {@value #SAMPLE_MILLIS} ms: 0 when it already does, -1 when it began more than {@value #MAX_WINDOW_MILLIS} ms
     * ago (that average is no longer "now": sample afresh).
     */
    static long remainingMillis(long begunNanos, long nowNanos) {
        long elapsedMillis = (nowNanos - begunNanos) / 1_000_000;
        if (elapsedMillis < 0 || elapsedMillis > MAX_WINDOW_MILLIS) {
            return -1;
        }
        return Math.max(0, SAMPLE_MILLIS - elapsedMillis);
    }

    /** The host's CPU times and this process's own (jiffies), at one moment of {@link System#nanoTime()}. */
    record Sample(HostCpu.Times host, long ownJiffies, long nanos) {
    }

    /**
     * What the idle-core count reads of the machine: its cores, a CPU-time sample, the monotonic clock, and the
     * pause between two samples. {@link #SYSTEM} is this machine; tests pass their own.
     */
    interface Machine {
        Machine SYSTEM = new Machine() {
            @Override
            public int cores() {
                return Runtime.getRuntime().availableProcessors();
            }

            @Override
            public Sample sample() throws IOException {
                return new Sample(HostCpu.read(HostCpu.PROC_STAT), ThreadPolicy.ownJiffies(), System.nanoTime());
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void pause(long millis) throws InterruptedException {
                Thread.sleep(millis);
            }
        };

        int cores();

        Sample sample() throws IOException;

        long nanoTime();

        void pause(long millis) throws InterruptedException;
    }

    /** The rule alone: cores not busy with other work, a core idle when {@value #IDLE_SHARE_PER_CORE} of it is. */
    static int idleCores(int cores, double othersBusyCores) {
        int idle = (int) Math.floor(cores - othersBusyCores + (1 - IDLE_SHARE_PER_CORE));
        return Math.max(1, Math.min(cores, idle));
    }

    /** utime + stime of this process in jiffies, from /proc/self/stat (fields 14 and 15). */
    private static long ownJiffies() throws IOException {
        String stat = Files.readString(PROC_SELF_STAT);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields after "(comm)" start at field 3
    }

    /**
     * Runs {@code work} in a Java pool of {@code threads} workers: parallel streams inside it (the statistics'
     * and SparseGPT's row tasks) use that pool instead of the common one sized to every core. Exceptions
     * reach the caller as they were thrown.
     */
    public static <T> T inPool(int threads, Callable<T> work) {
        if (threads < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, was " + threads);
        }
        ForkJoinPool pool = new ForkJoinPool(threads);
        Object[] outcome = new Object[2]; // result, throwable
        try {
            pool.submit(() -> {
                try {
                    outcome[0] = work.call();
                } catch (Throwable t) {
                    outcome[1] = t;
                }
            }).join();
        } finally {
            pool.shutdown();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (outcome[1] instanceof RuntimeException e) {
            throw e;
        }
        if (outcome[1] instanceof Error e) {
            throw e;
        }
        if (outcome[1] != null) {
            throw new IllegalStateException(((Throwable) outcome[1]).getMessage(), (Throwable) outcome[1]);
        }
        @SuppressWarnings("unchecked")
        T result = (T) outcome[0];
        return result;
    }
}
