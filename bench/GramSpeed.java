import dev.prunelab.pruning.prune.InputStatistics;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/**
 * The rate of SparseGPT's Hessian accumulation H += (2/n)·XᵀX (InputStatistics.accept with the Hessian) of the pruning
 * engine on the class path. bench/gram-speed.sh runs it once per build, the builds alternating in separate JVMs: two
 * builds in one JVM (a class loader each) are not comparable, since the build whose kernels C2 compiles first gets the
 * Vector API inlined and the other one finds the same JDK methods already compiled too large to inline (measured: the
 * same build 64 or 43 GFLOP/s at in = 288 depending on which was loaded first). A benchmark, not a test.
 *
 * <p>Per size in x tokens and per pool size (the caller's ForkJoinPool, as ThreadPolicy.inPool sets it): an unrecorded
 * warm-up (three seconds of calls each way), then REPEATS samples. A sample times as many accepts of all the tokens as
 * take 0.3 s, each on fresh statistics (allocated outside the timed region), with the Hessian and then without it:
 * "Accept" is the rate of the whole accept, "Gram" that of what the Hessian adds to it (XᵀX with its packing and one
 * pass scaling H; without the column norms' 256-token transposes and sums, the same code in both builds). GFLOP/s count
 * the upper triangle as BLAS's dsyrk convention does: in·(in+1)/2 · tokens · 2 flops. Inputs are i.i.d. Gaussian: the
 * cost does not depend on their values.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp pruning-engine/target/classes bench/GramSpeed.java LABEL OUT.json
 * </pre>
 * Environment: SIZES (default "288:4096,768:4096,4096:1024,14336:512", in:tokens), THREADS (default "1,2"), REPEATS
 * (default 3).
 */
public final class GramSpeed {
    private static final double WARM_UP_SECONDS = 3.0; // C2 takes seconds to compile the micro-kernel on a busy machine
    private static final double SAMPLE_SECONDS = 0.3;

    /**
     * Seconds per accept of x [tokens, in] on fresh statistics in {@code pool}, averaged over as many calls as take at
     * least {@code minSeconds} (a 288-wide layer's accept takes about a millisecond: one alone would time the clock).
     * The statistics are allocated outside the timed region.
     */
    static double secondsPerCall(ForkJoinPool pool, float[] x, int tokens, int in, boolean withHessian,
                                 double minSeconds) throws Exception {
        double seconds = 0;
        int calls = 0;
        while (seconds < minSeconds || calls == 0) {
            InputStatistics stats = new InputStatistics(in, withHessian);
            long start = System.nanoTime();
            pool.submit(() -> stats.accept(x, tokens, in)).get();
            seconds += (System.nanoTime() - start) / 1e9;
            calls++;
        }
        return seconds / calls;
    }

    /** Median of the samples, and their range. */
    record Rate(double median, double min, double max, double[] samples) {
        static Rate of(double[] samples) {
            double[] sorted = samples.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Rate(median, sorted[0], sorted[n - 1], samples);
        }

        String json() {
            return String.format(Locale.ROOT, "{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f, \"samples\": %s}",
                    median, min, max, Arrays.toString(Arrays.stream(samples)
                            .mapToObj(s -> String.format(Locale.ROOT, "%.3f", s)).toArray()));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GramSpeed LABEL OUT.json");
        }
        String label = args[0];
        String sizes = System.getenv().getOrDefault("SIZES", "288:4096,768:4096,4096:1024,14336:512");
        String threadList = System.getenv().getOrDefault("THREADS", "1,2");
        int repeats = Integer.parseInt(System.getenv().getOrDefault("REPEATS", "3"));
        if (repeats < 1) {
            throw new IllegalArgumentException("REPEATS must be at least 1, was " + repeats);
        }
        List<String> rows = new ArrayList<>();
        for (String size : sizes.split(",")) {
            String[] inTokens = size.strip().split(":");
            int in = Integer.parseInt(inTokens[0]);
            int tokens = Integer.parseInt(inTokens[1]);
            float[] x = gaussian(tokens, in, 17);
            double gigaflops = (double) in * (in + 1) / 2 * tokens * 2 / 1e9;
            for (String threadText : threadList.split(",")) {
                int threads = Integer.parseInt(threadText.strip());
                ForkJoinPool pool = new ForkJoinPool(threads);
                try {
                    // warm-up: C2 compiles the kernels, the buffers are touched
                    secondsPerCall(pool, x, tokens, in, true, WARM_UP_SECONDS);
                    secondsPerCall(pool, x, tokens, in, false, WARM_UP_SECONDS);
                    double[] gram = new double[repeats];
                    double[] accept = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        double with = secondsPerCall(pool, x, tokens, in, true, SAMPLE_SECONDS);
                        double without = secondsPerCall(pool, x, tokens, in, false, SAMPLE_SECONDS);
                        gram[r] = gigaflops / (with - without);
                        accept[r] = gigaflops / with;
                    }
                    Rate gramRate = Rate.of(gram), acceptRate = Rate.of(accept);
                    rows.add(String.format(Locale.ROOT, "{\"label\": \"%s\", \"in\": %d, \"tokens\": %d, "
                            + "\"threads\": %d, \"loadAverage\": %.2f, \"gramGflopsPerSecond\": %s, "
                            + "\"acceptGflopsPerSecond\": %s}", label, in, tokens, threads,
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), gramRate.json(),
                            acceptRate.json()));
                    System.out.println(String.format(Locale.ROOT, "%s in %5d tokens %5d threads %d: "
                            + "XtX %.1f [%.1f-%.1f]  accept %.1f [%.1f-%.1f] GFLOP/s", label, in, tokens, threads,
                            gramRate.median(), gramRate.min(), gramRate.max(), acceptRate.median(), acceptRate.min(),
                            acceptRate.max()));
                } finally {
                    pool.shutdown();
                }
            }
        }
        String json = String.format(Locale.ROOT, "{\n  \"label\": \"%s\",\n  \"processors\": %d,\n  \"repeats\": %d,\n"
                + "  \"rows\": [\n    %s\n  ]\n}\n", label, Runtime.getRuntime().availableProcessors(), repeats,
                String.join(",\n    ", rows));
        Files.writeString(Path.of(args[1]), json);
    }

    /** (tokens, in) standard normal activations, row-major. */
    private static float[] gaussian(int tokens, int in, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
