package dev.prunelab.measure;

import java.nio.file.Path;

/** A second process for {@link HostWorkLockTest}: takes work or a window, says so on stdout, holds, releases. */
public final class HostWorkLockChild {
    private HostWorkLockChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        HostWorkLock lock = HostWorkLock.at(Path.of(args[0]));
        long holdMillis = Long.parseLong(args[2]);
        try (HostWorkLock.Hold hold = args[1].equals("work") ? lock.work() : lock.measurementWindow()) {
            System.out.println("holding " + System.currentTimeMillis());
            System.out.flush();
            Thread.sleep(holdMillis);
            System.out.println("releasing " + System.currentTimeMillis());
            System.out.flush();
        }
    }
}
