package dev.prunelab.evaluation.zeroshot;

import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores the choices of one item with an exported decoder, in one of two exact ways:
 *
 * <ul>
 * <li>{@link Strategy#BATCHED}: one forward pass, batch = number of choices, rows right-padded. A real token
 *     at position t attends only to positions <= t of its own row (causal), so padding after it changes
 *     nothing; padded positions get attention mask 0 and position id 0 (always inside the position table).</li>
 * <li>{@link Strategy#SHARED_PREFIX}: the token prefix common to all choices runs once at batch 1; each
 *     choice's remainder then runs from that prefix's KV cache. The prefix step (its logits) stays open until
 *     every remainder is scored; each remainder writes after the prefix in the same cache, which is truncated
 *     back to the prefix for the next choice, and its step is closed as soon as its logits are read.</li>
 * </ul>
 *
 * {@link Strategy#AUTO} picks per item whichever processes fewer tokens (a call costs about
 * {@value #CALL_OVERHEAD_TOKENS} tokens of work on top).
 */
public final class OnnxLoglikelihoodScorer implements LoglikelihoodScorer {
    static final int CALL_OVERHEAD_TOKENS = 8;

    public enum Strategy { BATCHED, SHARED_PREFIX, AUTO }

    private final DecoderSession session;
    private final TextTokenizer tokenizer;
    private final Strategy strategy;
    private final int vocab;
    private final float[] scratch;

    public OnnxLoglikelihoodScorer(DecoderSession session, TextTokenizer tokenizer, Strategy strategy) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.strategy = strategy;
        this.vocab = session.card().vocabSize();
        this.scratch = new float[vocab];
    }

    @Override
    public List<Loglikelihood> score(List<Request> requests) {
        List<EncodedRequest> encoded = new ArrayList<>(requests.size());
        for (Request request : requests) {
            encoded.add(EncodedRequest.encode(tokenizer, request, session.card().bosTokenId(),
                    session.card().eosTokenId(), session.card().contextLength()));
        }
        return scoreEncoded(encoded);
    }

    /** Scores already encoded requests (one item's choices) with this scorer's strategy. */
    public List<Loglikelihood> scoreEncoded(List<EncodedRequest> requests) {
        for (EncodedRequest request : requests) {
            for (int token : request.tokens()) {
                if (token < 0 || token >= vocab) {
                    throw new IllegalArgumentException("token id " + token + " outside the model's vocabulary of "
                            + vocab + ": does the tokenizer match the model?");
                }
            }
        }
        int prefix = commonPrefix(requests);
        Strategy chosen = strategy;
        if (chosen == Strategy.AUTO) {
            int longest = 0;
            long remainders = 0;
            for (EncodedRequest request : requests) {
                longest = Math.max(longest, request.tokens().length - 1);
                remainders += request.tokens().length - 1 - prefix;
            }
            long batchedCost = (long) requests.size() * longest + CALL_OVERHEAD_TOKENS;
            long prefixCost = prefix + remainders + (long) (requests.size() + 1) * CALL_OVERHEAD_TOKENS;
            chosen = requests.size() > 1 && prefix > 0 && prefixCost < batchedCost ? Strategy.SHARED_PREFIX
                    : Strategy.BATCHED;
        }
        if (chosen == Strategy.SHARED_PREFIX && prefix > 0) {
            return sharedPrefix(requests, prefix);
        }
        return batched(requests);
    }

    /** Length of the input prefix (tokens without the last) that all requests share. */
    static int commonPrefix(List<EncodedRequest> requests) {
        int[] first = requests.get(0).tokens();
        int prefix = first.length - 1;
        for (EncodedRequest request : requests) {
            int[] tokens = request.tokens();
            int limit = Math.min(prefix, tokens.length - 1);
            int same = 0;
            while (same < limit && tokens[same] == first[same]) {
                same++;
            }
            prefix = same;
        }
        return prefix;
    }

    private List<Loglikelihood> batched(List<EncodedRequest> requests) {
        int batch = requests.size();
        int width = 0;
        for (EncodedRequest request : requests) {
            width = Math.max(width, request.tokens().length - 1);
        }
        long[] ids = new long[batch * width];        // [batch, width]
        long[] mask = new long[batch * width];       // [batch, width]
        long[] positions = new long[batch * width];  // [batch, width]
        for (int row = 0; row < batch; row++) {
            int[] tokens = requests.get(row).tokens();
            for (int t = 0; t < tokens.length - 1; t++) {
                ids[row * width + t] = tokens[t];
                mask[row * width + t] = 1;
                positions[row * width + t] = t;
            }
        }
        List<Loglikelihood> out = new ArrayList<>(batch);
        try (KvCache cache = session.newCache(batch, width);
             DecoderSession.Step step = session.forward(ids, mask, positions, batch, cache)) {
            for (int row = 0; row < batch; row++) {
                EncodedRequest request = requests.get(row);
                int[] tokens = request.tokens();
                double sum = 0;
                boolean greedy = true;
                for (int j = tokens.length - request.continuationLength(); j < tokens.length; j++) {
                    int offset = ((row * width) + (j - 1)) * vocab;
                    sum += logProbability(step.logits(), offset, tokens[j]);
                    greedy &= LogSoftmax.argmax(scratch) == tokens[j];
                }
                out.add(new Loglikelihood(Math.min(0, sum), greedy, request.continuationLength()));
            }
        }
        return out;
    }

    private List<Loglikelihood> sharedPrefix(List<EncodedRequest> requests, int prefix) {
        long[] prefixIds = new long[prefix];
        long[] prefixMask = new long[prefix];
        long[] prefixPositions = new long[prefix];
        int[] first = requests.get(0).tokens();
        for (int t = 0; t < prefix; t++) {
            prefixIds[t] = first[t];
            prefixMask[t] = 1;
            prefixPositions[t] = t;
        }
        List<Loglikelihood> out = new ArrayList<>(requests.size());
        int longest = prefix;
        for (EncodedRequest request : requests) {
            longest = Math.max(longest, request.tokens().length - 1);
        }
        try (KvCache cache = session.newCache(1, longest);
             DecoderSession.Step prefixStep = session.forward(prefixIds, prefixMask, prefixPositions, 1, cache)) {
            for (EncodedRequest request : requests) {
                int[] tokens = request.tokens();
                int inputLength = tokens.length - 1;
                int remainder = inputLength - prefix;
                DecoderSession.Step step = null;
                try {
                    if (remainder > 0) {
                        long[] ids = new long[remainder];
                        long[] positions = new long[remainder];
                        long[] mask = new long[inputLength];
                        Arrays.fill(mask, 1L);
                        for (int t = 0; t < remainder; t++) {
                            ids[t] = tokens[prefix + t];
                            positions[t] = prefix + t;
                        }
                        // written after the prefix, then cut back to it for the next choice
                        cache.truncate(prefix);
                        step = session.forward(ids, mask, positions, 1, cache);
                    }
                    double sum = 0;
                    boolean greedy = true;
                    for (int j = tokens.length - request.continuationLength(); j < tokens.length; j++) {
                        int position = j - 1;
                        double logProbability = position < prefix
                                ? logProbability(prefixStep.logits(), position * vocab, tokens[j])
                                : logProbability(step.logits(), (position - prefix) * vocab, tokens[j]);
                        sum += logProbability;
                        greedy &= LogSoftmax.argmax(scratch) == tokens[j];
                    }
                    out.add(new Loglikelihood(Math.min(0, sum), greedy, request.continuationLength()));
                } finally {
                    if (step != null) {
                        step.close();
                    }
                }
            }
        }
        return out;
    }

    /** log p(target) from the logits row at {@code offset}; leaves the row in {@code scratch} for argmax. */
    private double logProbability(FloatBuffer logits, int offset, int target) {
        return -LogSoftmax.negativeLogLikelihood(logits, offset, vocab, target, scratch);
    }
}
