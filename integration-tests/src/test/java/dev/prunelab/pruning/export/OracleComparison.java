package dev.prunelab.pruning.export;

import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.reference.ReferenceDecoder;
import java.nio.file.Path;

/**
 * Runs an exported graph in ONNX Runtime and the plain-Java reference forward pass side by side: a prefill of
 * the prompt, then greedy cached decode steps, comparing every position's logits.
 */
final class OracleComparison {
    /** One intra-op thread: the outputs compared here do not depend on the machine's cores or their load. */
    static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);

    private OracleComparison() {
    }

    /**
     * @param maxPrefillDifference largest |logit difference| over the prefill positions
     * @param maxDecodeDifference  largest |logit difference| over the cached decode steps
     * @param maxLogit             largest |reference logit|, the scale the difference is judged against
     */
    record Comparison(double maxPrefillDifference, double maxDecodeDifference, double maxLogit) {
        /** Largest |logit difference| over the prefill positions and the decode steps. */
        double maxDifference() {
            return Math.max(maxPrefillDifference, maxDecodeDifference);
        }

        double relative() {
            return maxDifference() / maxLogit;
        }
    }

    /** Largest |logit difference| over the prefill positions and the decode steps. */
    static double maxLogitDifference(LoadedModel model, TensorSource weights, Path exported, int[] prompt,
            int decodeSteps) {
        return compare(model, weights, exported, prompt, decodeSteps).maxDifference();
    }

    static Comparison compare(LoadedModel model, TensorSource weights, Path exported, int[] prompt,
            int decodeSteps) {
        ReferenceDecoder reference = ReferenceDecoder.create(model.config(), weights);
        float[][] expectedPrefill = reference.run(prompt);
        double maxPrefill = 0;
        double maxDecode = 0;
        double maxLogit = 0;
        for (float[] row : expectedPrefill) {
            maxLogit = Math.max(maxLogit, maxAbs(row, new float[row.length]));
        }
        try (DecoderSession session = DecoderSession.open(exported, ONE_THREAD)) {
            long[] ids = new long[prompt.length];
            long[] positions = new long[prompt.length];
            for (int i = 0; i < prompt.length; i++) {
                ids[i] = prompt[i];
                positions[i] = i;
            }
            KvCache cache = session.newCache(1, prompt.length + decodeSteps);
            DecoderSession.Step step = session.forward(ids, ones(prompt.length), positions, 1, cache);
            for (int position = 0; position < prompt.length; position++) {
                maxPrefill = Math.max(maxPrefill, maxAbs(expectedPrefill[position], step.logitsAt(0, position)));
            }
            float[] last = step.logitsAt(0, prompt.length - 1);
            int length = prompt.length;
            try (DecoderSession.DecodeBuffers buffers = session.decodeBuffers(1)) {
                for (int s = 0; s < decodeSteps; s++) {
                    int token = LogSoftmax.argmax(last);
                    float[] expected = reference.step(token, length);
                    // steps alternate between the general forward pass and the decode fast path (reused input,
                    // mask and pinned logits buffers): both must give the reference's logits
                    DecoderSession.Step next = s % 2 == 0
                            ? session.decode(new long[] {token}, cache, buffers)
                            : session.forward(new long[] {token}, ones(length + 1), new long[] {length}, 1, cache);
                    step.close();
                    step = next;
                    length++;
                    last = step.logitsAt(0, 0);
                    maxDecode = Math.max(maxDecode, maxAbs(expected, last));
                    maxLogit = Math.max(maxLogit, maxAbs(expected, new float[expected.length]));
                }
            }
            step.close();
            cache.close();
        }
        return new Comparison(maxPrefill, maxDecode, maxLogit);
    }

    static long[] ones(int length) {
        long[] mask = new long[length];
        java.util.Arrays.fill(mask, 1L);
        return mask;
    }

    static double maxAbs(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("logit widths differ: " + expected.length + " vs " + actual.length);
        }
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        return max;
    }
}
