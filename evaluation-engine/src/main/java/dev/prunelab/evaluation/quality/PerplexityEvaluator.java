package dev.prunelab.evaluation.quality;

import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Perplexity over pre-cut token windows: each window is scored independently from position 0 (no cache
 * across windows), positions 1..W-1 predicted from the positions before them.
 * loss = mean NLL over scored tokens; perplexity = exp(loss).
 */
public final class PerplexityEvaluator {
    private PerplexityEvaluator() {
    }

    /**
     * @param windows   token windows, all of the same length
     * @param progress  called with the number of windows done after each window
     */
    public static PerplexityResult evaluate(DecoderSession session, List<int[]> windows, IntConsumer progress) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("no windows to score: the text is shorter than one window");
        }
        int window = windows.get(0).length;
        if (window < 2) {
            throw new IllegalArgumentException("window must be at least 2 tokens, was " + window);
        }
        int vocab = session.card().vocabSize();
        float[] scratch = new float[vocab];
        long[] mask = new long[window];
        long[] positions = new long[window];
        for (int i = 0; i < window; i++) {
            mask[i] = 1;
            positions[i] = i;
        }
        double totalNll = 0;
        long scored = 0;
        long start = System.nanoTime();
        int done = 0;
        // one cache for every window: each starts it empty again and overwrites the same slots
        try (KvCache cache = session.newCache(1, window)) {
            for (int[] tokens : windows) {
                if (tokens.length != window) {
                    throw new IllegalArgumentException("windows differ in length: " + tokens.length + " vs " + window);
                }
                long[] ids = new long[window];
                for (int i = 0; i < window; i++) {
                    if (tokens[i] < 0 || tokens[i] >= vocab) {
                        throw new IllegalArgumentException("token id " + tokens[i] + " outside the model's vocabulary of "
                                + vocab + ": does the tokenizer match the model?");
                    }
                    ids[i] = tokens[i];
                }
                cache.truncate(0);
                try (DecoderSession.Step step = session.forward(ids, mask, positions, 1, cache)) {
                    for (int position = 0; position < window - 1; position++) {
                        totalNll += LogSoftmax.negativeLogLikelihood(step.logits(), position * vocab, vocab,
                                tokens[position + 1], scratch);
                    }
                }
                scored += window - 1;
                progress.accept(++done);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double loss = totalNll / scored;
        return new PerplexityResult(window, windows.size(), scored, loss, Math.exp(loss), seconds,
                (double) windows.size() * window / seconds);
    }

    /**
     * @param tokensPerSecond tokens processed (windows x window) per second of evaluation
     */
    public record PerplexityResult(int window, int windows, long scoredTokens, double loss, double perplexity,
            double seconds, double tokensPerSecond) {
    }
}
