package dev.prunelab.pruning.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.model.LoadedModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The oracles on the real stories260K checkpoint (llama2.c legacy file in PRUNELAB_DATA). */
class ReferenceDecoderTest {

    /** BOS, then run.c's encoding of "Once upon a time" (dummy-prefix space) in tok512. */
    static final int[] PROMPT = {1, 403, 407, 261, 378};
    static final String CONTINUATION = ", there was a little girl named Lily. She loved to play outside in the park.";

    static Path stories() {
        return dev.prunelab.text.corpus.SharedData.path("models/stories260K");
    }

    @Test
    void promptIdsAreRunCsEncoding() throws Exception {
        Llama2cVocab vocab = new Llama2cVocab(stories().resolve("tok512.bin"), 512);
        int[] ids = vocab.encodeWithBos("Once upon a time");
        System.out.println("prompt ids " + Arrays.toString(ids) + " = "
                + Arrays.stream(ids).mapToObj(id -> "'" + vocab.piece(id) + "'").toList());
        assertArrayEquals(PROMPT, ids);
        assertEquals("Once upon a time", vocab.decode(-1, Arrays.copyOfRange(ids, 1, ids.length)).strip());
    }

    @Test
    void runCGreedyContinuesOnceUponATime() throws Exception {
        Path dir = stories();
        Llama2cRunC model = new Llama2cRunC(dir.resolve("stories260K.bin"));
        assertEquals(64, model.dim);
        assertEquals(512, model.vocabSize);
        Llama2cVocab vocab = new Llama2cVocab(dir.resolve("tok512.bin"), model.vocabSize);

        float[] logits = null;
        for (int token : PROMPT) {
            logits = model.step(token, model.length());
        }
        int previous = PROMPT[PROMPT.length - 1];
        StringBuilder text = new StringBuilder();
        while (text.length() < CONTINUATION.length() && model.length() < 64) {
            int next = Ops.argmax(logits);
            text.append(vocab.decode(previous, new int[] {next}));
            previous = next;
            logits = model.step(next, model.length());
        }
        System.out.println("greedy: Once upon a time" + text);
        assertTrue(text.toString().startsWith(CONTINUATION), () -> "greedy continuation was '" + text + "'");
    }

    /**
     * The checkpoint reader presents stories260K as a Hugging Face Llama (q/k rows permuted to rotate_half);
     * LlamaReference over it must match run.c's interleaved rotary on the raw file (max abs diff 1e-5).
     */
    @Test
    void llamaReferenceOnLoadedCheckpointMatchesRunC() throws Exception {
        Path file = stories().resolve("stories260K.bin");
        try (LoadedModel loaded = ModelLoader.open(file, Optional.empty())) {
            LlamaConfig config = (LlamaConfig) loaded.config();
            assertEquals(8, config.numHeads());
            assertEquals(4, config.numKvHeads());
            ReferenceDecoder hf = ReferenceDecoder.create(config, loaded.tensors());
            Llama2cRunC runC = new Llama2cRunC(file);

            int token = PROMPT[0];
            double worst = 0;
            for (int pos = 0; pos < 24; pos++) {
                float[] expected = runC.step(token, pos);
                float[] actual = hf.step(token, pos);
                double diff = Ops.maxAbsDiff(expected, actual);
                worst = Math.max(worst, diff);
                assertTrue(diff <= 1e-5, "position " + pos + ": max abs diff " + diff);
                token = pos + 1 < PROMPT.length ? PROMPT[pos + 1] : Ops.argmax(expected);
            }
            System.out.println("HF-layout Llama vs run.c over 24 steps: max abs diff " + worst);
        }
    }
}
