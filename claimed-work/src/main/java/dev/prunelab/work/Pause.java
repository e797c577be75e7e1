package dev.prunelab.work;

import java.time.Duration;

/** Waits between polls and retries; tests pass one that moves their clock instead of sleeping. */
@FunctionalInterface
public interface Pause {

    /** The calling thread sleeps. */
    Pause SLEEP = duration -> Thread.sleep(duration.toMillis());

    void pause(Duration duration) throws InterruptedException;
}
