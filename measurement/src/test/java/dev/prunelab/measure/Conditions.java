package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests on a condition, never on a sleep of the right length: a loaded machine makes every step slower,
 * so the limit is generous and only a condition that never comes true fails. Shared through measurement's test-jar.
 */
public final class Conditions {

    /** How long a test waits for something that should happen at once. */
    public static final Duration LIMIT = Duration.ofSeconds(120);

    private Conditions() {
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} after {@link #LIMIT}. */
    public static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + ": not within " + LIMIT);
            Thread.sleep(1);
        }
    }

    /** Runs {@code task} on a new thread of that name; its result or failure is the returned future's. */
    public static <T> FutureTask<T> inThread(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        new Thread(future, name).start();
        return future;
    }
}
