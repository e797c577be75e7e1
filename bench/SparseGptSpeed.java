import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.PruneResult;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * SparseGPT's cost on single layers of realistic shapes (GPT-2's MLP, 768 x 3072, and a square 2048 x 2048, out x in)
 * with 512 calibration tokens: seconds to accumulate the Hessian XᵀX, to prune to 50 % and to prune 2:4. A benchmark,
 * not a test: its figures are the machine's, so they are recorded, never asserted (the unit suite checks what
 * SparseGPT computes, SparseGptTest). Each figure is the median of REPEATS runs after one unrecorded warm-up, with its
 * minimum and maximum. Inputs are i.i.d. Gaussian: the cost does not depend on their values.
 *
 * <p>Run with the pruning engine's classpath (bench/sparsegpt-speed.sh does):
 * {@code java --add-modules jdk.incubator.vector -cp "$CP" bench/SparseGptSpeed.java OUT.json}
 * Environment: SHAPES (default "768x3072,2048x2048", out x in), TOKENS (default 512), REPEATS (default 3).
 */
public final class SparseGptSpeed {

    /** One timed step: median of the recorded repeats, and their range. */
    record Seconds(double median, double min, double max, double[] samples) {
        static Seconds of(double[] samples) {
            double[] sorted = samples.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Seconds(median, sorted[0], sorted[n - 1], samples);
        }

        String json() {
            return String.format(Locale.ROOT, "{\"median\": %.6f, \"min\": %.6f, \"max\": %.6f, \"samples\": %s}",
                    median, min, max, Arrays.toString(Arrays.stream(samples)
                            .mapToObj(s -> String.format(Locale.ROOT, "%.6f", s)).toArray()));
        }
    }

    public static void main(String[] args) throws IOException {
        String shapes = System.getenv().getOrDefault("SHAPES", "768x3072,2048x2048");
        int tokens = Integer.parseInt(System.getenv().getOrDefault("TOKENS", "512"));
        int repeats = Integer.parseInt(System.getenv().getOrDefault("REPEATS", "3"));
        if (repeats < 1) {
            throw new IllegalArgumentException("REPEATS must be at least 1, was " + repeats);
        }
        List<String> rows = new ArrayList<>();
        for (String shape : shapes.split(",")) {
            String[] outIn = shape.strip().split("x");
            int out = Integer.parseInt(outIn[0]);
            int in = Integer.parseInt(outIn[1]);
            float[] x = gaussian(tokens, in, 31);
            double[] hessian = new double[repeats];
            double[] unstructured = new double[repeats];
            double[] nm = new double[repeats];
            PruneResult half = null;
            PruneResult twoFour = null;
            for (int r = -1; r < repeats; r++) { // r = -1: the warm-up (JIT, page faults), not recorded
                long t0 = System.nanoTime();
                InputStatistics stats = new InputStatistics(in, true);
                stats.accept(x, tokens, in);
                long t1 = System.nanoTime();
                float[] w = gaussian(out, in, 32);
                long t2 = System.nanoTime();
                half = new SparseGpt().prune(w, out, in, stats, new SparsityPattern.Unstructured(0.5));
                long t3 = System.nanoTime();
                float[] w24 = gaussian(out, in, 33);
                long t4 = System.nanoTime();
                twoFour = new SparseGpt().prune(w24, out, in, stats, new SparsityPattern.NM(2, 4));
                long t5 = System.nanoTime();
                if (r >= 0) {
                    hessian[r] = (t1 - t0) / 1e9;
                    unstructured[r] = (t3 - t2) / 1e9;
                    nm[r] = (t5 - t4) / 1e9;
                }
            }
            Seconds h = Seconds.of(hessian);
            Seconds u = Seconds.of(unstructured);
            Seconds s24 = Seconds.of(nm);
            System.out.printf(Locale.ROOT, "SparseGPT %dx%d (out x in), %d tokens: Hessian %.3f s, prune 0.5 %.3f s, "
                    + "prune 2:4 %.3f s (medians of %d); %s%n", out, in, tokens, h.median(), u.median(), s24.median(),
                    repeats, half);
            rows.add(String.format(Locale.ROOT, "    {\"out\": %d, \"in\": %d, \"tokens\": %d, \"repeats\": %d,%n"
                    + "     \"hessianSeconds\": %s,%n     \"prune50Seconds\": %s,%n     \"prune2of4Seconds\": %s,%n"
                    + "     \"achievedSparsity50\": %.6f, \"achievedSparsity2of4\": %.6f}", out, in, tokens, repeats,
                    h.json(), u.json(), s24.json(), half.achievedSparsity(), twoFour.achievedSparsity()));
        }
        String json = String.format(Locale.ROOT, "{%n  \"benchmark\": \"sparsegpt-speed\",%n  \"java\": \"%s\",%n"
                + "  \"cpus\": %d,%n  \"loadAverage\": %.2f,%n  \"layers\": [%n%s%n  ]%n}%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), String.join(",\n", rows));
        if (args.length > 0) {
            Path file = Path.of(args[0]);
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(file, json);
            System.out.println("wrote " + file);
        } else {
            System.out.print(json);
        }
    }

    /** Gaussian [rows, cols], seeded. */
    static float[] gaussian(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
