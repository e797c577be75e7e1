package dev.prunelab.evaluation.generate;

import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/** Greedy decoding with the KV cache: one prefill of the prompt, then one cached step per new token. */
public final class GreedyGenerator {
    private GreedyGenerator() {
    }

    /**
     * @param prompt   token ids, BOS included when the family uses one
     * @param onToken  called with each generated id as soon as it is chosen
     * @return the generated ids (without the prompt), stopping at EOS, maxNewTokens or the context length
     */
    public static List<Integer> generate(DecoderSession session, int[] prompt, int maxNewTokens, IntConsumer onToken) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        int context = session.card().contextLength();
        if (prompt.length >= context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context of "
                    + context);
        }
        int eos = session.card().eosTokenId();
        List<Integer> generated = new ArrayList<>();
        long[] ids = new long[prompt.length];
        long[] positions = new long[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            ids[i] = prompt[i];
            positions[i] = i;
        }
        try (KvCache cache = session.newCache(1, (int) Math.min(context, (long) prompt.length + maxNewTokens))) {
            int length = 0;
            while (generated.size() < maxNewTokens && length + ids.length <= cache.capacity()) {
                long[] mask = new long[length + ids.length];
                Arrays.fill(mask, 1L);
                int token;
                try (DecoderSession.Step next = session.forward(ids, mask, positions, 1, cache)) {
                    token = LogSoftmax.argmax(next.logitsAt(0, ids.length - 1));
                }
                length += ids.length;
                if (token == eos) {
                    break;
                }
                generated.add(token);
                onToken.accept(token);
                ids = new long[] {token};
                positions = new long[] {length};
            }
        }
        return generated;
    }
}
