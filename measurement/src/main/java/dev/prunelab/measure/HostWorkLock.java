package dev.prunelab.measure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's exclusive measurement window. The lab's heavy work (a pruner's block, an export) runs under
 * {@link #work()}; an energy or speed measurement runs under {@link #measurementWindow()}. While a window is
 * open no new work starts on the host, and the window opens only once the work under way has reached its next
 * pause: so the pruner pauses between blocks while an energy window is open, and the measured watts are the
 * measured model's alone.
 *
 * <p>Across processes the two roles are {@code fcntl} locks on two files of a directory every process of the lab
 * on this host agrees on (the window takes {@code window.lock} exclusively first, then {@code work.lock}
 * exclusively; work waits on {@code window.lock} shared, then holds {@code work.lock} shared), so a waiting
 * window is never starved by work that keeps restarting. Inside one JVM a fair read-write lock plays the same
 * part (fcntl locks belong to the process, not to a thread). One channel per file stays open for the JVM's
 * life: closing any channel of a file would drop every lock the process holds on it.
 */
public final class HostWorkLock {

    /** Held work or window; closing releases it (safe to call twice). */
    public interface Hold extends AutoCloseable {
        /** Seconds spent waiting before the hold began. */
        double waitedSeconds();

        @Override
        void close();
    }

    private static final HostWorkLock NONE = new HostWorkLock(null);
    private static final Map<Path, Files2> OPEN = new ConcurrentHashMap<>();

    private final Path directory;

    private HostWorkLock(Path directory) {
        this.directory = directory;
    }

    /** The host lock kept in {@code directory} (created when missing). */
    public static HostWorkLock at(Path directory) {
        try {
            return new HostWorkLock(Files.createDirectories(directory).toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + directory + " for the host's measurement lock", e);
        }
    }

    /** No coordination: a single command on its own, or a test that needs none. */
    public static HostWorkLock none() {
        return NONE;
    }

    public boolean coordinates() {
        return directory != null;
    }

    /** Where the lock files are, or null for {@link #none()}. */
    public Path directory() {
        return directory;
    }

    /** Waits while a measurement window is open on the host, then holds a share of the host's work until closed. */
    public Hold work() {
        if (directory == null) {
            return new Released(0);
        }
        long start = System.nanoTime();
        Files2 files = OPEN.computeIfAbsent(directory, Files2::new);
        files.jvm.lockShared();
        try {
            files.acquireWorkShare();
        } catch (RuntimeException | Error e) {
            files.jvm.unlockShared();
            throw e;
        }
        double waited = (System.nanoTime() - start) / 1e9;
        return new Once(waited, () -> {
            try {
                files.releaseWorkShare();
            } finally {
                files.jvm.unlockShared();
            }
        });
    }

    /**
     * Opens the host's exclusive window: new work waits from now on, and this returns once every work under
     * way (in any process of the lab) has paused. Close it as soon as the measurement ends.
     */
    public Hold measurementWindow() {
        if (directory == null) {
            return new Released(0);
        }
        long start = System.nanoTime();
        Files2 files = OPEN.computeIfAbsent(directory, Files2::new);
        files.jvm.lockExclusive();
        FileLock window = null;
        FileLock work = null;
        try {
            window = files.window.lock(0, Long.MAX_VALUE, false);
            work = files.work.lock(0, Long.MAX_VALUE, false);
        } catch (IOException e) {
            releaseQuietly(work);
            releaseQuietly(window);
            files.jvm.unlockExclusive();
            throw new UncheckedIOException("cannot open the measurement window in " + directory, e);
        }
        double waited = (System.nanoTime() - start) / 1e9;
        FileLock heldWindow = window;
        FileLock heldWork = work;
        return new Once(waited, () -> {
            releaseQuietly(heldWork);
            releaseQuietly(heldWindow);
            files.jvm.unlockExclusive();
        });
    }

    /** Whether a window is open or waiting in this JVM (for tests and health details). */
    public boolean windowPendingInThisJvm() {
        Files2 files = directory == null ? null : OPEN.get(directory);
        return files != null && files.jvm.exclusiveHeldOrWaiting();
    }

    private static void releaseQuietly(FileLock lock) {
        if (lock != null && lock.isValid()) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel stays open; the next lock on it still works
            }
        }
    }

    /** The two lock files of a directory, opened once per JVM, and this JVM's share of the work lock. */
    private static final class Files2 {
        final SharedExclusive jvm = new SharedExclusive();
        final FileChannel window;
        final FileChannel work;
        private int workShares;
        private FileLock workShare;

        Files2(Path directory) {
            try {
                window = FileChannel.open(directory.resolve("window.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE);
                work = FileChannel.open(directory.resolve("work.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the lock files in " + directory, e);
            }
        }

        /** Waits out a window of another process, then joins (or takes) this JVM's shared hold on work.lock. */
        synchronized void acquireWorkShare() {
            try {
                if (workShares == 0) {
                    FileLock pass = window.lock(0, Long.MAX_VALUE, true); // blocks while a window is open elsewhere
                    pass.release();
                    workShare = work.lock(0, Long.MAX_VALUE, true);
                }
                workShares++;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot take the host's work lock", e);
            }
        }

        synchronized void releaseWorkShare() {
            if (--workShares == 0) {
                releaseQuietly(workShare);
                workShare = null;
            }
        }
    }

    /**
     * This JVM's side of the window: shares for work, exclusive for a window, a waiting window blocking new shares
     * (so it opens at the next pause). Unlike a ReentrantReadWriteLock, a share may be released by another thread than
     * the one that took it: a prune hands its hold over at block boundaries, which may run on a pool thread.
     */
    static final class SharedExclusive {
        private int shares;
        private boolean exclusive;
        private int waitingExclusive;

        synchronized void lockShared() {
            boolean interrupted = false;
            while (exclusive || waitingExclusive > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            shares++;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized void unlockShared() {
            if (shares <= 0) {
                throw new IllegalStateException("no share of the host's work is held");
            }
            if (--shares == 0) {
                notifyAll();
            }
        }

        synchronized void lockExclusive() {
            boolean interrupted = false;
            waitingExclusive++;
            try {
                while (exclusive || shares > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                waitingExclusive--;
            }
            exclusive = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized void unlockExclusive() {
            exclusive = false;
            notifyAll();
        }

        synchronized boolean exclusiveHeldOrWaiting() {
            return exclusive || waitingExclusive > 0;
        }
    }

    private static final class Once implements Hold {
        private final double waited;
        private Runnable release;

        Once(double waited, Runnable release) {
            this.waited = waited;
            this.release = release;
        }

        @Override
        public double waitedSeconds() {
            return waited;
        }

        @Override
        public synchronized void close() {
            if (release != null) {
                Runnable r = release;
                release = null;
                r.run();
            }
        }
    }

    private record Released(double waitedSeconds) implements Hold {
        @Override
        public void close() {
        }
    }

}
