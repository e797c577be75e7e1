package dev.prunelab.evaluation.speed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's streaming read bandwidth as this process sees it, measured beside the latency figures it is
 * compared with: {@code threads} threads each sum their share of a float array larger than the last-level
 * cache (Vector API, four independent accumulators so the adds never wait on each other), repeated; bytes/s per
 * repeat = array bytes / wall seconds of the slowest thread. A decode step that reads every weight once cannot
 * go faster than this rate divided by its weight bytes.
 */
public final class ReadBandwidthProbe {
    /** 512 MiB: twice this machine's 260 MiB L3, so the passes stream from memory. */
    public static final long DEFAULT_BYTES = 512L << 20;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private ReadBandwidthProbe() {
    }

    /**
     * @param bytesPerSecond each repeat's bytes read per second
     */
    public record Result(long bufferBytes, int threads, int repeats, Percentiles bytesPerSecond) {
    }

    public static Result measure(int threads, long bufferBytes, int repeats) {
        if (threads < 1 || repeats < 1 || bufferBytes < 1 << 20) {
            throw new IllegalArgumentException("need threads >= 1, repeats >= 1 and at least 1 MiB, were " + threads
                    + ", " + repeats + ", " + bufferBytes);
        }
        float[] data = new float[Math.toIntExact(bufferBytes / Float.BYTES)];
        Arrays.fill(data, 1f); // touch every page before timing
        int share = data.length / threads;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "read-bandwidth-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            double[] rates = new double[repeats];
            float guard = 0;
            for (int r = -1; r < repeats; r++) { // r = -1: a warm-up pass, not recorded
                List<Future<Float>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int from = t * share;
                    int to = t == threads - 1 ? data.length : from + share;
                    parts.add(pool.submit(() -> sum(data, from, to)));
                }
                for (Future<Float> part : parts) {
                    guard += part.get();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (r >= 0) {
                    rates[r] = (double) data.length * Float.BYTES / seconds;
                }
            }
            sink = guard; // the sums are used, so the reads cannot be optimised away
            return new Result((long) data.length * Float.BYTES, threads, repeats, Percentiles.of(rates));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bandwidth probe interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("bandwidth probe failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static float sum(float[] a, int from, int to) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int step = F.length();
        int i = from;
        for (int bound = from + (to - from) / (4 * step) * (4 * step); i < bound; i += 4 * step) {
            s0 = s0.add(FloatVector.fromArray(F, a, i));
            s1 = s1.add(FloatVector.fromArray(F, a, i + step));
            s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * step));
            s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * step));
        }
        float sum = s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            sum += a[i];
        }
        return sum;
    }
}
