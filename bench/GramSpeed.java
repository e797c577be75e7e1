import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/**
 * The rate of SparseGPT's Hessian accumulation H += (2/n)·XᵀX (InputStatistics.accept with the Hessian) of two builds
 * of the pruning engine side by side in one JVM: each build's classes in a class loader of their own, so the same
 * public API runs the old kernel and the new one. A benchmark, not a test: the figures are the machine's.
 *
 * <p>Per size in x tokens and per pool size (the caller's ForkJoinPool, as ThreadPolicy.inPool sets it): an unrecorded
 * warm-up of each build (three seconds of calls each way), then REPEATS rounds that time the old build and the new one alternately,
 * so both see the same drift of the machine. A sample is the rate of as many accepts of all the tokens as take 0.3 s,
 * each on fresh statistics (allocated outside the timed region); it includes what accept does besides XᵀX (the 256-token transposes for the column norms, one pass
 * scaling H), the same in both builds. GFLOP/s count the upper triangle as BLAS's dsyrk convention does:
 * in·(in+1)/2 · tokens · 2 flops. Inputs are i.i.d. Gaussian: the cost does not depend on their values.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g bench/GramSpeed.java OLD_CLASSES NEW_CLASSES OUT.json
 * </pre>
 * OLD_CLASSES and NEW_CLASSES: a build's pruning-engine/target/classes (bench/gram-speed.sh builds them). Environment:
 * SIZES (default "288:4096,768:4096,4096:1024,14336:512", in:tokens), THREADS (default "1,2"), REPEATS (default 5).
 */
public final class GramSpeed {
    private static final double WARM_UP_SECONDS = 3.0; // C2 takes seconds to compile the micro-kernel on a busy machine
    private static final double SAMPLE_SECONDS = 0.3;

    /** One build's InputStatistics, reached by reflection through its own class loader. */
    record Build(String name, Constructor<?> create, Method accept) {
        static Build load(String name, Path classes) throws Exception {
            // the platform loader as parent: the engine's classes must come from this directory alone, never from
            // the other build or the class path
            ClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            Class<?> stats = Class.forName("dev.prunelab.pruning.prune.InputStatistics", true, loader);
            return new Build(name, stats.getConstructor(int.class, boolean.class),
                    stats.getMethod("accept", float[].class, int.class, int.class));
        }

        /**
         * Seconds per accept of x [tokens, in] on fresh statistics in {@code pool}, averaged over as many calls as take at
         * least {@code minSeconds} (a 288-wide layer's accept takes about a millisecond: one alone would time the clock).
         * The statistics are allocated outside the timed region.
         */
        double secondsPerCall(ForkJoinPool pool, float[] x, int tokens, int in, boolean withHessian, double minSeconds)
                throws Exception {
            double seconds = 0;
            int calls = 0;
            while (seconds < minSeconds || calls == 0) {
                Object stats = create.newInstance(in, withHessian);
                long start = System.nanoTime();
                pool.submit(() -> {
                    accept.invoke(stats, x, tokens, in);
                    return null;
                }).get();
                seconds += (System.nanoTime() - start) / 1e9;
                calls++;
            }
            return seconds / calls;
        }
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
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: GramSpeed OLD_CLASSES NEW_CLASSES OUT.json");
        }
        List<Build> builds = List.of(Build.load("old", Path.of(args[0])), Build.load("new", Path.of(args[1])));
        String sizes = System.getenv().getOrDefault("SIZES", "288:4096,768:4096,4096:1024,14336:512");
        String threadList = System.getenv().getOrDefault("THREADS", "1,2");
        int repeats = Integer.parseInt(System.getenv().getOrDefault("REPEATS", "5"));
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
                    Map<String, double[]> rates = new LinkedHashMap<>();
                    for (Build build : builds) {
                        // warm-up: C2 compiles the kernels, the buffers are touched
                        build.secondsPerCall(pool, x, tokens, in, true, WARM_UP_SECONDS);
                        build.secondsPerCall(pool, x, tokens, in, false, WARM_UP_SECONDS);
                        rates.put(build.name() + "Gram", new double[repeats]);
                        rates.put(build.name() + "Accept", new double[repeats]);
                    }
                    for (int r = 0; r < repeats; r++) {
                        for (Build build : builds) {
                            double with = build.secondsPerCall(pool, x, tokens, in, true, SAMPLE_SECONDS);
                            double without = build.secondsPerCall(pool, x, tokens, in, false, SAMPLE_SECONDS);
                            // XᵀX alone: what the Hessian adds to an accept (the column norms' transposes are the same
                            // code in both builds and are what an accept without the Hessian does)
                            rates.get(build.name() + "Gram")[r] = gigaflops / (with - without);
                            rates.get(build.name() + "Accept")[r] = gigaflops / with;
                        }
                    }
                    StringBuilder row = new StringBuilder(String.format(Locale.ROOT,
                            "{\"in\": %d, \"tokens\": %d, \"threads\": %d, \"loadAverage\": %.2f", in, tokens, threads,
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "in %5d tokens %5d threads %d:",
                            in, tokens, threads));
                    for (var entry : rates.entrySet()) {
                        Rate rate = Rate.of(entry.getValue());
                        row.append(", \"").append(entry.getKey()).append("GflopsPerSecond\": ").append(rate.json());
                        line.append(String.format(Locale.ROOT, "  %s %.1f [%.1f-%.1f]", entry.getKey(),
                                rate.median(), rate.min(), rate.max()));
                    }
                    rows.add(row.append('}').toString());
                    System.out.println(line);
                } finally {
                    pool.shutdown();
                }
            }
        }
        String json = String.format(Locale.ROOT, "{\n  \"processors\": %d,\n  \"repeats\": %d,\n  \"rows\": [\n    %s\n  ]\n}\n",
                Runtime.getRuntime().availableProcessors(), repeats, String.join(",\n    ", rows));
        Files.writeString(Path.of(args[2]), json);
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
