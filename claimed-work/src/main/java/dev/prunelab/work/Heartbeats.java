package dev.prunelab.work;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One replica's heartbeats in the shared store: files (a staging directory's owner file, a claim) whose modification
 * time this replica renews every quarter lease while it works on them. Another replica judges them by
 * {@link #stale}: silent for longer than the lease means their owner died.
 */
final class Heartbeats {

    private final Duration lease;
    /** Judges staleness and stamps heartbeats; the system clock but in tests, which move it past a lease. */
    private final Clock clock;
    /** False in tests: no thread renews the heartbeats, the test calls {@link #renewAll()} instead. */
    private final boolean thread;
    /** Run every fourth renewal by the thread (the store's removal of abandoned staging). */
    private final Runnable housekeeping;
    private final Set<Path> files = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService timer;
    private long renewals;

    Heartbeats(Duration lease, Clock clock, boolean thread, Runnable housekeeping) {
        this.lease = lease;
        this.clock = clock;
        this.thread = thread;
        this.housekeeping = housekeeping;
    }

    Duration lease() {
        return lease;
    }

    /**
     * Stamps the new file's first heartbeat now (by this replica's clock, not the file system's) and renews its
     * modification time every quarter lease while this replica works on it.
     */
    synchronized void keep(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(clock.instant()));
        files.add(file);
        if (thread && timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread t = new Thread(runnable, "artifact-store-heartbeat");
                t.setDaemon(true);
                return t;
            });
            long periodMillis = Math.max(1, lease.toMillis() / 4);
            timer.scheduleAtFixedRate(this::beat, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops renewing a file (committed, discarded, released). */
    void forget(Path file) {
        files.remove(file);
    }

    boolean keeps(Path file) {
        return files.contains(file);
    }

    /** True when the file's last renewal is older than the lease (or the file is gone). */
    boolean stale(Path file) {
        try {
            Instant renewed = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
            return renewed.plus(lease).isBefore(clock.instant());
        } catch (IOException e) {
            return true;
        }
    }

    private void beat() {
        if (++renewals % 4 == 0) {
            try {
                housekeeping.run(); // a dead replica's staging goes within about two leases, not at the next start
            } catch (RuntimeException e) {
                // the next round tries again
            }
        }
        renewAll();
    }

    /** Renews every heartbeat this replica keeps (what its thread does every quarter lease). */
    void renewAll() {
        FileTime now = FileTime.from(clock.instant());
        for (Path file : files) {
            try {
                Files.setLastModifiedTime(file, now);
            } catch (IOException e) {
                files.remove(file); // committed, discarded or taken over: nothing to renew
            }
        }
    }
}
