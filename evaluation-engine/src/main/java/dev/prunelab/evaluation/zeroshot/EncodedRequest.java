package dev.prunelab.evaluation.zeroshot;

import dev.prunelab.text.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * A request as token ids, encoded the way lm-evaluation-harness's {@code _encode_pair} does: trailing
 * whitespace of the context moves to the front of the continuation; context + continuation is encoded as one
 * text and the continuation's tokens are the tail after the context's own encoding (so merges across the seam
 * follow the tokenizer); the model's BOS goes first when it has one (with neither BOS nor context, its EOS
 * stands in as the harness's prefix token); a sequence longer than the context window keeps its last
 * {@code maxLength + 1} tokens (the input is all but the last, the harness's left truncation); a continuation
 * longer than the window is scored on its last {@code maxLength} tokens.
 *
 * @param tokens             the scored sequence: the model reads {@code tokens[0..n-2]} and predicts
 *                           {@code tokens[1..n-1]}; n - 1 <= the context window
 * @param continuationLength how many of the last tokens are the continuation
 */
public record EncodedRequest(int[] tokens, int continuationLength) {
    public EncodedRequest {
        if (continuationLength < 1 || continuationLength >= tokens.length) {
            throw new IllegalArgumentException("continuation of " + continuationLength + " tokens needs a sequence "
                    + "longer than it, was " + tokens.length);
        }
    }

    /** The model's input: every token but the last. */
    public int[] input() {
        return Arrays.copyOf(tokens, tokens.length - 1);
    }

    /**
     * @param bosTokenId the model's BOS id, or -1 when it has none
     * @param eosTokenId stands in for an empty context when there is no BOS
     * @param maxLength  the model's context window (input tokens at most)
     */
    public static EncodedRequest encode(TextTokenizer tokenizer, Request request, int bosTokenId, int eosTokenId,
            int maxLength) {
        String context = request.context();
        String continuation = request.continuation();
        int kept = context.length();
        while (kept > 0 && Character.isWhitespace(context.charAt(kept - 1))) {
            kept--;
        }
        continuation = context.substring(kept) + continuation;
        context = context.substring(0, kept);

        int[] whole = tokenizer.encode(context + continuation);
        int[] contextTokens = context.isEmpty() ? new int[0] : tokenizer.encode(context);
        int[] continuationTokens;
        if (contextTokens.length < whole.length) {
            continuationTokens = Arrays.copyOfRange(whole, contextTokens.length, whole.length);
            contextTokens = Arrays.copyOf(whole, contextTokens.length);
        } else {
            // the context alone encodes to as many tokens as the whole: score the continuation on its own
            continuationTokens = tokenizer.encode(continuation);
        }
        if (continuationTokens.length == 0) {
            throw new IllegalArgumentException("continuation '" + request.continuation() + "' encodes to no tokens");
        }
        int prefix = bosTokenId >= 0 ? bosTokenId : (contextTokens.length == 0 ? eosTokenId : -1);
        int[] all = new int[(prefix >= 0 ? 1 : 0) + contextTokens.length + continuationTokens.length];
        int at = 0;
        if (prefix >= 0) {
            all[at++] = prefix;
        }
        System.arraycopy(contextTokens, 0, all, at, contextTokens.length);
        System.arraycopy(continuationTokens, 0, all, at + contextTokens.length, continuationTokens.length);
        if (all.length > maxLength + 1) {
            all = Arrays.copyOfRange(all, all.length - (maxLength + 1), all.length);
        }
        // a continuation longer than the window (long piqa solutions on a 512-token model): its last
        // maxLength tokens are scored, each from everything before it inside the window
        return new EncodedRequest(all, Math.min(continuationTokens.length, all.length - 1));
    }
}
