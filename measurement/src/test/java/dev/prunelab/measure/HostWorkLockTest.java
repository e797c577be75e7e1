package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class HostWorkLockTest {

    @Test
    void aWindowWaitsForWorkUnderWayAndNewWorkWaitsForTheWindow(@TempDir Path dir) throws Exception {
        HostWorkLock lock = HostWorkLock.at(dir);
        AtomicLong windowOpenedAt = new AtomicLong();
        AtomicLong secondWorkStartedAt = new AtomicLong();
        HostWorkLock.Hold block = lock.work();
        long workEndsAt;
        Thread window = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.measurementWindow()) {
                windowOpenedAt.set(System.nanoTime());
                sleep(300);
            }
        });
        window.start();
        while (!lock.windowPendingInThisJvm()) {
            Thread.onSpinWait();
        }
        Thread nextBlock = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.work()) {
                secondWorkStartedAt.set(System.nanoTime());
            }
        });
        sleep(200);
        nextBlock.start();
        sleep(200);
        assertEquals(0, windowOpenedAt.get(), "the window opened while a block was still running");
        workEndsAt = System.nanoTime();
        block.close();
        window.join();
        nextBlock.join();
        assertTrue(windowOpenedAt.get() >= workEndsAt, "the window opened before the block ended");
        assertTrue(secondWorkStartedAt.get() > windowOpenedAt.get() + 250_000_000L,
                "the next block started inside the window");
    }

    @Test
    void anotherProcesssWorkDelaysTheWindowUntilItsBlockEnds(@TempDir Path dir) throws Exception {
        Process child = child(dir, "work", 1500);
        try (BufferedReader out = reader(child)) {
            assertTrue(out.readLine().startsWith("holding"));
            long start = System.currentTimeMillis();
            try (HostWorkLock.Hold window = HostWorkLock.at(dir).measurementWindow()) {
                long opened = System.currentTimeMillis();
                String released = out.readLine();
                assertTrue(released.startsWith("releasing"), released);
                assertTrue(opened >= Long.parseLong(released.split(" ")[1]),
                        "the window opened before the other process's block ended");
                assertTrue(window.waitedSeconds() > 0.5 && opened - start > 500, "waited " + window.waitedSeconds());
            }
        } finally {
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void anotherProcesssWorkWaitsWhileAWindowIsOpenHere(@TempDir Path dir) throws Exception {
        HostWorkLock lock = HostWorkLock.at(dir);
        Process child;
        long closedAt;
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            child = child(dir, "work", 0);
            Thread.sleep(1500);
            assertTrue(child.isAlive(), "the other process's work did not wait for the window");
            closedAt = System.currentTimeMillis();
        }
        try (BufferedReader out = reader(child)) {
            String holding = out.readLine();
            assertTrue(Long.parseLong(holding.split(" ")[1]) >= closedAt, "work started at " + holding
                    + ", the window closed at " + closedAt);
        }
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue());
    }

    @Test
    @Timeout(20)
    void aHoldTakenOnOneThreadIsReleasedOnAnother(@TempDir Path dir) throws Exception {
        // a prune takes its hold on the service's thread and hands it over at block boundaries on a pool thread
        HostWorkLock lock = HostWorkLock.at(dir);
        HostWorkLock.Hold work = lock.work();
        Thread other = new Thread(work::close);
        other.start();
        other.join();
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            assertTrue(lock.windowPendingInThisJvm(), "the window opens once the handed-over hold is released");
        }
        assertFalse(lock.windowPendingInThisJvm());
    }

    @Test
    void withoutADirectoryNothingWaits() {
        HostWorkLock none = HostWorkLock.none();
        assertFalse(none.coordinates());
        try (HostWorkLock.Hold a = none.measurementWindow(); HostWorkLock.Hold b = none.work()) {
            assertEquals(0, a.waitedSeconds());
            assertEquals(0, b.waitedSeconds());
        }
    }

    @Test
    void closingTwiceReleasesOnce(@TempDir Path dir) throws InterruptedException {
        HostWorkLock lock = HostWorkLock.at(dir);
        HostWorkLock.Hold first = lock.work();
        HostWorkLock.Hold second = lock.work();
        first.close();
        first.close();
        CountDownLatch opened = new CountDownLatch(1);
        Thread window = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.measurementWindow()) {
                opened.countDown();
            }
        });
        window.start();
        assertFalse(opened.await(300, TimeUnit.MILLISECONDS), "the second hold was released by the first's double close");
        second.close();
        assertTrue(opened.await(10, TimeUnit.SECONDS));
        window.join();
    }

    private static Process child(Path dir, String role, long holdMillis) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                HostWorkLockChild.class.getName(), dir.toString(), role, Long.toString(holdMillis))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static BufferedReader reader(Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
