package dev.prunelab.evaluation.speed;

import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.vocabulary.InvalidSetting;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * Latency and throughput of greedy generation with the KV cache, with MLPerf's names. One run at batch B:
 * a prefill of B prompts of P tokens (same length, different seeded random tokens), then N - 1 cached decode
 * steps of one token per row, each token the argmax of the last logits (EOS does not stop the run, so every
 * run makes exactly N tokens per row).
 *
 * <ul>
 * <li>TTFT (time to first token): prefill plus choosing the first output token.</li>
 * <li>TPOT (time per output token): decode time / (N - 1), the decode steps only.</li>
 * <li>output tokens/s: B N / (TTFT + decode time), end to end.</li>
 * <li>decode tokens/s: B / TPOT, steady-state generation; per sequence it is exactly 1 / TPOT.</li>
 * </ul>
 *
 * <li>weight bytes/s: the bytes of weights one decode step reads ({@link WeightTraffic}) / TPOT, the rate the
 * steps stream their weights at; next to {@link ReadBandwidthProbe}'s figure it says how close decode runs to the
 * memory's limit.</li>
 *
 * Warm-up runs (same shapes) come first and are not recorded; figures are the median and p90 over repeats.
 */
public final class LatencyBenchmark {
    private LatencyBenchmark() {
    }

    /**
     * @param promptTokens P, prompt tokens per sequence
     * @param newTokens    N, output tokens per sequence (at least 2, so TPOT has a decode step)
     */
    public record Settings(int promptTokens, int newTokens, List<Integer> batchSizes, int repeats, int warmups,
            long seed) {
        public Settings {
            if (promptTokens < 1) {
                throw new InvalidSetting("promptTokens", "must be positive, was " + promptTokens);
            }
            if (newTokens < 2) {
                throw new InvalidSetting("newTokens", "must be at least 2 (TPOT needs a decode step), was "
                        + newTokens);
            }
            batchSizes = List.copyOf(batchSizes);
            if (batchSizes.isEmpty() || batchSizes.stream().anyMatch(b -> b < 1)) {
                throw new InvalidSetting("batch", "sizes must be positive, were " + batchSizes);
            }
            if (repeats < 1) {
                throw new InvalidSetting("repeats", "must be positive, was " + repeats);
            }
            if (warmups < 0) {
                throw new InvalidSetting("warmups", "must be >= 0, was " + warmups);
            }
        }

        public int runs() {
            return batchSizes.size() * (repeats + warmups);
        }
    }

    /**
     * Figures at one batch size.
     *
     * @param ttftMillis                 time to first token, per run
     * @param tpotMillis                 time per output token over the decode steps, per run
     * @param outputTokensPerSecond      B N / (TTFT + decode time), per run
     * @param decodeTokensPerSecond      B / TPOT, per run
     * @param weightBytesPerSecond       weight bytes per decode step / TPOT, per run
     */
    public record BatchLatency(int batch, Percentiles ttftMillis, Percentiles tpotMillis,
            Percentiles outputTokensPerSecond, Percentiles decodeTokensPerSecond, Percentiles weightBytesPerSecond) {
    }

    /** @param progress called with the number of runs done (warm-ups included) */
    public static List<BatchLatency> run(DecoderSession session, Settings settings, IntConsumer progress) {
        return run(session, settings, progress, System::nanoTime);
    }

    /**
     * @param progress       called with the number of runs done (warm-ups included)
     * @param monotonicNanos the clock the phases are timed with ({@link System#nanoTime()}; a test passes its own)
     */
    public static List<BatchLatency> run(DecoderSession session, Settings settings, IntConsumer progress,
            LongSupplier monotonicNanos) {
        ModelCard card = session.card();
        int total = settings.promptTokens() + settings.newTokens();
        if (total > card.contextLength()) {
            throw new IllegalArgumentException("prompt tokens + new tokens = " + total
                    + " exceed the model's context length " + card.contextLength());
        }
        List<BatchLatency> results = new ArrayList<>();
        long weightBytes = WeightTraffic.bytesPerToken(session.directory());
        int done = 0;
        for (int batch : settings.batchSizes()) {
            long[] prompt = prompts(card, batch, settings.promptTokens(), settings.seed());
            double[] ttft = new double[settings.repeats()];
            double[] tpot = new double[settings.repeats()];
            double[] outputRate = new double[settings.repeats()];
            double[] decodeRate = new double[settings.repeats()];
            double[] weightRate = new double[settings.repeats()];
            for (int run = 0; run < settings.warmups() + settings.repeats(); run++) {
                double[] timing = generate(session, prompt, batch, settings.promptTokens(), settings.newTokens() - 1,
                        PhaseEdges.NONE, monotonicNanos);
                int r = run - settings.warmups();
                if (r >= 0) {
                    double ttftNanos = timing[0];
                    double decodeNanos = timing[1];
                    ttft[r] = ttftNanos / 1e6;
                    tpot[r] = decodeNanos / (settings.newTokens() - 1) / 1e6;
                    outputRate[r] = (double) batch * settings.newTokens() / ((ttftNanos + decodeNanos) / 1e9);
                    decodeRate[r] = batch / (tpot[r] / 1e3);
                    weightRate[r] = weightBytes / (tpot[r] / 1e3);
                }
                progress.accept(++done);
            }
            results.add(new BatchLatency(batch, Percentiles.of(ttft), Percentiles.of(tpot), Percentiles.of(outputRate),
                    Percentiles.of(decodeRate), Percentiles.of(weightRate)));
        }
        return results;
    }

    /**
     * Called at the edges of a generation's two phases, inside the timed region (an energy counter is read there;
     * the reads are part of what the phases cost, and they are microseconds).
     */
    public interface PhaseEdges {
        PhaseEdges NONE = new PhaseEdges() { };

        /** Before the prefill's inputs are built into tensors. */
        default void prefillStarts() {
        }

        /** After the first tokens were chosen from the prefill's logits: the decode phase starts. */
        default void firstTokens() {
        }

        /** After the last decode step's tokens were chosen. */
        default void decodeEnds() {
        }
    }

    /**
     * One timed greedy generation: a prefill of the batch's prompts, then {@code decodeSteps} cached steps of one
     * token per row. Returns {prefill-to-first-token nanos, decode nanos}.
     */
    public static double[] generate(DecoderSession session, long[] prompt, int batch, int promptTokens, int decodeSteps,
            PhaseEdges edges) {
        return generate(session, prompt, batch, promptTokens, decodeSteps, edges, System::nanoTime);
    }

    /** As above, timed with {@code monotonicNanos}: read before the prefill, at the first tokens, after the last. */
    public static double[] generate(DecoderSession session, long[] prompt, int batch, int promptTokens, int decodeSteps,
            PhaseEdges edges, LongSupplier monotonicNanos) {
        return generate(session, prompt, batch, promptTokens, decodeSteps, 1, 1, edges, monotonicNanos);
    }

    /**
     * As above, each phase run several times back to back between its two edges, so that a phase too short for an
     * energy counter's update period is read over a window long enough: {@code prefillPasses} prefills of the same
     * prompts (the cache emptied before each), then {@code decodePasses} times the {@code decodeSteps} steps from
     * the same first tokens (the cache cut back to the prompt before each). Returns the whole windows' nanos
     * {prefill passes, decode passes}; one pass of each is the plain generation.
     */
    public static double[] generate(DecoderSession session, long[] prompt, int batch, int promptTokens, int decodeSteps,
            int prefillPasses, int decodePasses, PhaseEdges edges, LongSupplier monotonicNanos) {
        if (prefillPasses < 1 || decodePasses < 1) {
            throw new IllegalArgumentException("passes must be positive, were " + prefillPasses + " and " + decodePasses);
        }
        int vocab = session.card().vocabSize();
        float[] row = new float[vocab];
        long[] positions = new long[batch * promptTokens];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < promptTokens; t++) {
                positions[b * promptTokens + t] = t;
            }
        }
        long[] mask = new long[batch * promptTokens];
        Arrays.fill(mask, 1L);
        edges.prefillStarts();
        long start = monotonicNanos.getAsLong();
        // allocated inside the timed region: a serving loop allocates them once per request too
        try (KvCache cache = session.newCache(batch, promptTokens + decodeSteps);
             DecoderSession.DecodeBuffers buffers = session.decodeBuffers(batch)) {
            long[] next = null;
            for (int pass = 0; pass < prefillPasses; pass++) {
                cache.truncate(0);
                try (DecoderSession.Step step = session.forward(prompt, mask, positions, batch, cache)) {
                    next = nextTokens(step, batch, promptTokens, row);
                }
            }
            long firstToken = monotonicNanos.getAsLong();
            edges.firstTokens();
            long[] first = next.clone();
            for (int pass = 0; pass < decodePasses; pass++) {
                if (pass > 0) {
                    cache.truncate(promptTokens);
                    System.arraycopy(first, 0, next, 0, batch);
                }
                for (int produced = 0; produced < decodeSteps; produced++) {
                    nextTokens(session.decode(next, cache, buffers), batch, 1, row, next);
                }
            }
            long end = monotonicNanos.getAsLong();
            edges.decodeEnds();
            return new double[] {firstToken - start, end - firstToken};
        }
    }

    private static long[] nextTokens(DecoderSession.Step step, int batch, int sequence, float[] row) {
        long[] next = new long[batch];
        nextTokens(step, batch, sequence, row, next);
        return next;
    }

    private static void nextTokens(DecoderSession.Step step, int batch, int sequence, float[] row, long[] next) {
        int vocab = row.length;
        for (int b = 0; b < batch; b++) {
            step.logits().get(((b * sequence) + sequence - 1) * vocab, row, 0, vocab);
            next[b] = LogSoftmax.argmax(row);
        }
    }

    /** [batch, promptTokens] seeded random ids, avoiding the low ids where families keep special tokens. */
    public static long[] prompts(ModelCard card, int batch, int promptTokens, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int low = Math.min(4, card.vocabSize() - 1);
        long[] ids = new long[batch * promptTokens];
        for (int i = 0; i < ids.length; i++) {
            int id;
            do {
                id = low + random.nextInt(card.vocabSize() - low);
            } while ((id == card.eosTokenId() || id == card.bosTokenId()) && card.vocabSize() - low > 2);
            ids[i] = id;
        }
        return ids;
    }
}
