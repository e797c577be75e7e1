package dev.prunelab.measure;

import static dev.prunelab.measure.Conditions.awaitTrue;
import static dev.prunelab.measure.Conditions.inThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's window against work, in one JVM and across processes. Every step waits for a condition (a thread
 * parked in the lock, a line from the other process), never for a time: the orderings asserted hold by
 * construction, however slow the machine. Limits are generous; they only end a test that hangs.
 */
@Timeout(300)
class HostWorkLockTest {

    private static final Duration LIMIT = Duration.ofSeconds(120);

    @Test
    void aWindowWaitsForWorkUnderWayAndNewWorkWaitsForTheWindow(@TempDir Path dir) throws Exception {
        HostWorkLock lock = HostWorkLock.at(dir);
        AtomicLong windowOpenedAt = new AtomicLong();
        AtomicLong windowClosingAt = new AtomicLong();
        AtomicLong secondWorkStartedAt = new AtomicLong();
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch closeWindow = new CountDownLatch(1);
        HostWorkLock.Hold block = lock.work();
        Thread window = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.measurementWindow()) {
                windowOpenedAt.set(System.nanoTime());
                opened.countDown();
                await(closeWindow);
                windowClosingAt.set(System.nanoTime());
            }
        });
        window.start();
        awaitTrue(lock::windowPendingInThisJvm, "the window was asked for");
        Thread nextBlock = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.work()) {
                secondWorkStartedAt.set(System.nanoTime());
            }
        });
        nextBlock.start();
        // Both threads park: the window until the block ends, the next block until the window has been. A lock that
        // let either through would have stamped its time before parking (the window on closeWindow) or ended.
        awaitParkedOrEnded(window);
        awaitParkedOrEnded(nextBlock);
        assertEquals(0, windowOpenedAt.get(), "the window opened while a block was still running");
        assertEquals(0, secondWorkStartedAt.get(), "new work started while a window was waiting");

        long workEndsAt = System.nanoTime();
        block.close();
        assertTrue(opened.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the window did not open after the block");
        assertTrue(windowOpenedAt.get() >= workEndsAt, "the window opened before the block ended");
        awaitParkedOrEnded(nextBlock);
        assertEquals(0, secondWorkStartedAt.get(), "the next block started inside the window");

        closeWindow.countDown();
        join(window);
        join(nextBlock);
        assertTrue(secondWorkStartedAt.get() >= windowClosingAt.get(), "the next block started inside the window");
    }

    @Test
    void anotherProcesssWorkDelaysTheWindowUntilItsBlockEnds(@TempDir Path dir) throws Exception {
        HostWorkLock lock = HostWorkLock.at(dir);
        try (Child child = Child.start(dir, "work")) {
            child.expect("waiting");
            child.expect("holding");
            AtomicLong openedAt = new AtomicLong();
            FutureTask<Double> window = inThread("host-work-lock-test", () -> {
                try (HostWorkLock.Hold w = lock.measurementWindow()) {
                    openedAt.set(System.nanoTime());
                    return w.waitedSeconds();
                }
            });
            awaitTrue(() -> lock.windowPendingInThisJvm() || window.isDone(), "the window was asked for");
            long pendingSeenAt = System.nanoTime();   // the window's own wait began before this
            assertFalse(window.isDone(), "the window opened while the other process held work");
            long releaseSentAt = System.nanoTime();
            child.release();
            double waitedSeconds = window.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            child.expect("releasing");
            assertTrue(openedAt.get() >= releaseSentAt, "the window opened before the other process was told to release");
            assertTrue(waitedSeconds >= (releaseSentAt - pendingSeenAt) / 1e9,
                    "the window says it waited " + waitedSeconds + " s, less than it was kept waiting");
            assertEquals(0, child.exitValue());
        }
    }

    @Test
    void anotherProcesssWorkWaitsWhileAWindowIsOpenHere(@TempDir Path dir) throws Exception {
        HostWorkLock lock = HostWorkLock.at(dir);
        try (Child child = Child.start(dir, "work")) {
            long closedAt;
            try (HostWorkLock.Hold window = lock.measurementWindow()) {
                child.expect("waiting");
                assertEquals(List.of(), child.linesSoFar(), "the other process took work while the window was open");
                closedAt = System.currentTimeMillis();
            }
            long holdingAt = child.expect("holding");
            assertTrue(holdingAt >= closedAt, "work started at " + holdingAt + ", the window closed at " + closedAt);
            child.release();
            child.expect("releasing");
            assertEquals(0, child.exitValue());
        }
    }

    @Test
    void aHoldTakenOnOneThreadIsReleasedOnAnother(@TempDir Path dir) throws Exception {
        // a prune takes its hold on the service's thread and hands it over at block boundaries on a pool thread
        HostWorkLock lock = HostWorkLock.at(dir);
        HostWorkLock.Hold work = lock.work();
        Thread other = new Thread(work::close);
        other.start();
        join(other);
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
        CountDownLatch closeWindow = new CountDownLatch(1);
        Thread window = new Thread(() -> {
            try (HostWorkLock.Hold w = lock.measurementWindow()) {
                opened.countDown();
                await(closeWindow);
            }
        });
        window.start();
        awaitTrue(lock::windowPendingInThisJvm, "the window was asked for");
        awaitParkedOrEnded(window);
        assertEquals(1, opened.getCount(), "the second hold was released by the first's double close");
        second.close();
        assertTrue(opened.await(LIMIT.toSeconds(), TimeUnit.SECONDS));
        closeWindow.countDown();
        join(window);
    }

    /** The other process, its stdout read line by line on a thread of its own. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final Writer stdin;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Child(Process process) {
            this.process = process;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("stdout failed: " + e.getMessage());
                }
            }, "host-work-lock-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path dir, String role) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            return new Child(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    HostWorkLockChild.class.getName(), dir.toString(), role)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        /** Waits for the next line, which must be {@code word}, and returns its time stamp (epoch millis). */
        long expect(String word) throws InterruptedException {
            String line = lines.poll(LIMIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(line != null, "the other process did not say '" + word + "' within " + LIMIT);
            String[] parts = line.split(" ");
            assertEquals(word, parts[0], line);
            return Long.parseLong(parts[1]);
        }

        /** Lines said and not yet expected. */
        List<String> linesSoFar() {
            return new ArrayList<>(lines);
        }

        void release() throws IOException {
            stdin.write("release\n");
            stdin.flush();
        }

        int exitValue() throws InterruptedException {
            assertTrue(process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "the other process did not exit");
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            try {
                stdin.close();   // a child still holding releases at end of input
            } catch (IOException ignored) {
                // it has exited already
            }
            if (!process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }


    /** Until {@code thread} is parked (in the lock's wait, or on a latch) or has ended. */
    private static void awaitParkedOrEnded(Thread thread) throws InterruptedException {
        awaitTrue(() -> switch (thread.getState()) {
            case WAITING, TIMED_WAITING, TERMINATED -> true;
            default -> false;
        }, thread.getName() + " parked");
    }

    private static void join(Thread thread) throws InterruptedException {
        thread.join(LIMIT.toMillis());
        assertFalse(thread.isAlive(), thread.getName() + " did not end within " + LIMIT);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test did not count down within " + LIMIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
