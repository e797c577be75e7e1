package dev.prunelab.pruning.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.gpt2.Gpt2Names;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.family.opt.OptNames;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Invariants of the reference decoders on small random models, each able to fail on a wrong formula. */
class RandomModelInvariantsTest {

    static final int[] TOKENS = {3, 17, 0, 29, 5, 5, 11, 38, 2, 21, 9, 33, 14, 1, 26, 7};

    /** GQA (4 query heads on 2 kv heads), head_dim 8, hidden 24 != heads*head_dim, Qwen2-style q/k/v bias. */
    static LlamaConfig llama(int kvHeads, boolean tied) {
        return new LlamaConfig("qwen2", 40, 24, 40, 2, 4, kvHeads, 8, 64, 1e-6, 10000, tied, true, false);
    }

    static OptConfig opt(boolean layerNormBefore, int wordEmbedProjDim) {
        return new OptConfig(40, 16, 32, 2, 4, 32, wordEmbedProjDim, layerNormBefore, false, true, "relu", 1e-5);
    }

    static Gpt2Config gpt2(String activation) {
        return new Gpt2Config(40, 16, 64, 2, 4, 32, 1e-5, activation);
    }

    /** The KV-cached steps must reproduce the cache-free, layer-by-layer masked recomputation. */
    static void assertCacheMatchesRecomputation(DecoderConfig config, TensorSource weights) {
        ReferenceDecoder decoder = ReferenceDecoder.create(config, weights);
        float[][] cached = decoder.run(TOKENS);
        float[][] recomputed = ((LayeredDecoder<?>) decoder).forwardWithoutCache(TOKENS);
        for (int t = 0; t < TOKENS.length; t++) {
            double diff = Ops.maxAbsDiff(cached[t], recomputed[t]);
            assertTrue(diff <= 1e-5, config.modelType() + " position " + t + ": max abs diff " + diff);
            for (float logit : cached[t]) {
                assertTrue(Float.isFinite(logit), "non-finite logit at position " + t);
            }
        }
        // the last row depends on every earlier token: changing the first token must change it
        int[] changed = TOKENS.clone();
        changed[0] = TOKENS[0] + 1;
        float[] other = ReferenceDecoder.create(config, weights).run(changed)[TOKENS.length - 1];
        assertTrue(Ops.maxAbsDiff(cached[TOKENS.length - 1], other) > 1e-4, "attention ignores earlier positions");
    }

    @Test
    void llamaGqaCachedStepsEqualRecomputation() {
        assertCacheMatchesRecomputation(llama(2, true), RandomWeights.llama(llama(2, true), 1));
        assertCacheMatchesRecomputation(llama(2, false), RandomWeights.llama(llama(2, false), 2));
    }

    /**
     * Qwen3's per-head q/k norms (head_dim 16 beside hidden 24) with Llama 3's scaled frequencies, and Phi-3's fused
     * projections, half-rotated heads and a sliding window of 9 (which the 16 tokens pass; over two layers the first
     * token still reaches the last).
     */
    @Test
    void qwen3AndPhi3CachedStepsEqualRecomputation() {
        LlamaConfig qwen3 = new LlamaConfig("qwen3", 40, 24, 40, 2, 4, 2, 16, 64, 1e-6, 500000, false, false, false,
                RotaryScaling.llama3(8, 1, 4, 32), 16, 0);
        assertCacheMatchesRecomputation(qwen3, RandomWeights.llama(qwen3, 6));
        LlamaConfig phi3 = new LlamaConfig("phi3", 40, 24, 40, 2, 4, 2, 8, 64, 1e-5, 10000, false, false, false,
                RotaryScaling.NONE, 4, 9);
        MapTensorSource fused = RandomWeights.phi3(phi3, 7);
        assertCacheMatchesRecomputation(phi3, fused);
        float[] windowed = ReferenceDecoder.create(phi3, fused).run(TOKENS)[TOKENS.length - 1];
        float[] full = ReferenceDecoder.create(phi3.withRotary(phi3.ropeScaling(), 4, 0), fused).run(TOKENS)[TOKENS.length - 1];
        assertTrue(Ops.maxAbsDiff(windowed, full) > 1e-4, "the sliding window changes nothing");
    }

    @Test
    void optPreAndPostLnCachedStepsEqualRecomputation() {
        assertCacheMatchesRecomputation(opt(true, 16), RandomWeights.opt(opt(true, 16), 3));
        // OPT-350m shape: post-LN, embeddings of width 12 projected in and out, no final LayerNorm
        OptConfig postLn = opt(false, 12);
        MapTensorSource weights = RandomWeights.opt(postLn, 4);
        weights.remove(OptNames.FINAL_NORM + "weight").remove(OptNames.FINAL_NORM + "bias");
        assertCacheMatchesRecomputation(postLn, weights);
    }

    @Test
    void gpt2CachedStepsEqualRecomputation() {
        assertCacheMatchesRecomputation(gpt2("gelu_new"), RandomWeights.gpt2(gpt2("gelu_new"), 5));
        assertCacheMatchesRecomputation(gpt2("gelu"), RandomWeights.gpt2(gpt2("gelu"), 5));
        float[] tanh = ReferenceDecoder.create(gpt2("gelu_new"), RandomWeights.gpt2(gpt2("gelu_new"), 5)).run(TOKENS)[3];
        float[] erf = ReferenceDecoder.create(gpt2("gelu"), RandomWeights.gpt2(gpt2("gelu"), 5)).run(TOKENS)[3];
        double diff = Ops.maxAbsDiff(tanh, erf);
        assertTrue(diff > 1e-6 && diff < 1e-2, "gelu vs gelu_new logits differ by " + diff);
    }

    /** GQA equals MHA whose kv head j is a copy of GQA kv head j / group (HF repeat_kv). */
    @Test
    void gqaEqualsMhaWithDuplicatedKvHeads() {
        LlamaConfig gqa = llama(2, true);
        LlamaConfig mha = llama(4, true);
        MapTensorSource gqaWeights = RandomWeights.llama(gqa, 6);
        MapTensorSource mhaWeights = gqaWeights.copy();
        int d = gqa.headDim();
        int hidden = gqa.hiddenSize();
        for (int l = 0; l < gqa.numLayers(); l++) {
            for (String proj : new String[] {"k_proj", "v_proj"}) {
                String module = LlamaNames.attention(l, proj);
                float[] w = gqaWeights.get(module + ".weight");
                float[] b = gqaWeights.get(module + ".bias");
                float[] wDup = new float[4 * d * hidden];
                float[] bDup = new float[4 * d];
                for (int head = 0; head < 4; head++) {
                    System.arraycopy(w, (head / 2) * d * hidden, wDup, head * d * hidden, d * hidden);
                    System.arraycopy(b, (head / 2) * d, bDup, head * d, d);
                }
                mhaWeights.put(module + ".weight", wDup, 4 * d, hidden).put(module + ".bias", bDup, 4 * d);
            }
        }
        float[][] a = ReferenceDecoder.create(gqa, gqaWeights).run(TOKENS);
        float[][] b = ReferenceDecoder.create(mha, mhaWeights).run(TOKENS);
        for (int t = 0; t < TOKENS.length; t++) {
            assertTrue(Ops.maxAbsDiff(a[t], b[t]) <= 1e-6, "position " + t);
        }
        // and sharing is not a no-op: a model with independent kv heads gives other logits
        float[] independent = ReferenceDecoder.create(mha, RandomWeights.llama(mha, 6)).run(TOKENS)[5];
        assertTrue(Ops.maxAbsDiff(a[5], independent) > 1e-3);
    }

    /**
     * Widths come from tensor shapes: removing a kv group (query heads 2, 3 and kv head 1) of layer 0 and
     * MLP channels 0..9 of layer 1 equals zeroing their o_proj / down_proj columns in the full model.
     */
    @Test
    void structurallyPrunedLayersEqualZeroedColumns() {
        LlamaConfig config = llama(2, true);
        MapTensorSource full = RandomWeights.llama(config, 8);
        MapTensorSource zeroed = full.copy();
        MapTensorSource pruned = full.copy();
        int d = config.headDim();
        int hidden = config.hiddenSize();
        int inter = config.intermediateSize();

        String o = LlamaNames.attention(0, "o_proj") + ".weight";
        zeroed.put(o, zeroColumns(full.get(o), hidden, 4 * d, 2 * d, 4 * d), hidden, 4 * d);
        pruned.put(o, keepColumns(full.get(o), hidden, 4 * d, 0, 2 * d), hidden, 2 * d);
        for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
            String module = LlamaNames.attention(0, proj);
            int keptRows = proj.equals("q_proj") ? 2 * d : d; // heads 0,1 and their kv head 0
            pruned.put(module + ".weight", Arrays.copyOf(full.get(module + ".weight"), keptRows * hidden), keptRows, hidden)
                    .put(module + ".bias", Arrays.copyOf(full.get(module + ".bias"), keptRows), keptRows);
        }

        String down = LlamaNames.mlp(1, "down_proj") + ".weight";
        zeroed.put(down, zeroColumns(full.get(down), hidden, inter, 0, 10), hidden, inter);
        pruned.put(down, keepColumns(full.get(down), hidden, inter, 10, inter), hidden, inter - 10);
        for (String proj : new String[] {"gate_proj", "up_proj"}) {
            String name = LlamaNames.mlp(1, proj) + ".weight";
            pruned.put(name, Arrays.copyOfRange(full.get(name), 10 * hidden, inter * hidden), inter - 10, hidden);
        }

        float[][] a = ReferenceDecoder.create(config, zeroed).run(TOKENS);
        float[][] b = ReferenceDecoder.create(config, pruned).run(TOKENS);
        float[][] unpruned = ReferenceDecoder.create(config, full).run(TOKENS);
        for (int t = 0; t < TOKENS.length; t++) {
            assertTrue(Ops.maxAbsDiff(a[t], b[t]) <= 1e-5, "position " + t);
        }
        assertTrue(Ops.maxAbsDiff(a[7], unpruned[7]) > 1e-3, "pruning changed nothing");
        assertCacheMatchesRecomputation(config, pruned);
    }

    private static float[] zeroColumns(float[] w, int rows, int cols, int from, int to) {
        float[] out = w.clone();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(out, r * cols + from, r * cols + to, 0f);
        }
        return out;
    }

    private static float[] keepColumns(float[] w, int rows, int cols, int from, int to) {
        float[] out = new float[rows * (to - from)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(w, r * cols + from, out, r * (to - from), to - from);
        }
        return out;
    }

    @Test
    void optPostLnDiffersFromPreLn() {
        MapTensorSource weights = RandomWeights.opt(opt(true, 16), 9);
        float[] pre = ReferenceDecoder.create(opt(true, 16), weights).run(TOKENS)[4];
        float[] post = ReferenceDecoder.create(opt(false, 16), weights).run(TOKENS)[4];
        assertTrue(Ops.maxAbsDiff(pre, post) > 1e-3);
    }

    /**
     * At position 0 attention is the identity on v (softmax over one key), so one layer's first-token
     * logits can be written out from modeling_opt's order of operations, here for post-LN with projections
     * (OPT-350m) and for pre-LN with a final LayerNorm.
     */
    @Test
    void optFirstTokenFollowsTheLayerNormOrder() {
        for (boolean before : new boolean[] {false, true}) {
            OptConfig config = new OptConfig(40, 16, 32, 1, 4, 32, before ? 16 : 12, before, false, true, "relu", 1e-5);
            MapTensorSource w = RandomWeights.opt(config, 11);
            int token = 7;
            float[] x = w.get(OptNames.EMBED);
            x = Arrays.copyOfRange(x, token * config.wordEmbedProjDim(), (token + 1) * config.wordEmbedProjDim());
            if (!before) {
                x = Linear.ofWeight(w, OptNames.PROJECT_IN).apply(x);
            }
            x = Ops.add(x, Arrays.copyOfRange(w.get(OptNames.POSITIONS), 2 * 16, 3 * 16)); // row position + 2
            String ln1 = OptNames.norm(0, "self_attn_layer_norm.");
            String ln2 = OptNames.norm(0, "final_layer_norm.");
            Linear v = Linear.read(w, OptNames.attention(0, "v_proj"));
            Linear out = Linear.read(w, OptNames.attention(0, "out_proj"));
            Linear fc1 = Linear.read(w, OptNames.mlp(0, "fc1"));
            Linear fc2 = Linear.read(w, OptNames.mlp(0, "fc2"));
            float[] expected;
            if (before) {
                float[] h = Ops.add(x, out.apply(v.apply(norm(w, ln1, x))));
                float[] y = Ops.add(h, fc2.apply(relu(fc1.apply(norm(w, ln2, h)))));
                expected = Linear.ofWeight(w, OptNames.EMBED).apply(norm(w, OptNames.FINAL_NORM, y));
            } else {
                float[] h = norm(w, ln1, Ops.add(x, out.apply(v.apply(x))));
                float[] y = norm(w, ln2, Ops.add(h, fc2.apply(relu(fc1.apply(h)))));
                expected = Linear.ofWeight(w, OptNames.EMBED).apply(Linear.ofWeight(w, OptNames.PROJECT_OUT).apply(y));
            }
            float[] actual = ReferenceDecoder.create(config, w).step(token, 0);
            assertTrue(Ops.maxAbsDiff(expected, actual) <= 1e-5, "layerNormBefore " + before);
        }
    }

    private static float[] norm(TensorSource w, String prefix, float[] x) {
        return Ops.layerNorm(x, w.readFloats(prefix + "weight"), w.readFloats(prefix + "bias"), 1e-5);
    }

    private static float[] relu(float[] x) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(0f, out[i]);
        }
        return out;
    }

    /** GPT-2's first token written out from modeling_gpt2: pre-LN, Conv1D x W + b, q|k|v thirds, tied head. */
    @Test
    void gpt2FirstTokenWrittenOut() {
        Gpt2Config config = new Gpt2Config(40, 16, 64, 1, 4, 32, 1e-5, "gelu_new");
        MapTensorSource w = RandomWeights.gpt2(config, 12);
        int token = 9;
        int position = 0;
        float[] x = Ops.add(Arrays.copyOfRange(w.get(Gpt2Names.EMBED), token * 16, token * 16 + 16),
                Arrays.copyOfRange(w.get(Gpt2Names.POSITIONS), position * 16, position * 16 + 16));
        float[] a = norm(w, Gpt2Names.norm(0, "ln_1."), x);
        float[] cAttn = w.get(Gpt2Names.attention(0, "c_attn") + ".weight"); // [16, 48]
        float[] cAttnBias = w.get(Gpt2Names.attention(0, "c_attn") + ".bias");
        float[] value = new float[16];
        for (int j = 0; j < 16; j++) { // v is the last third of x W + b
            double sum = cAttnBias[32 + j];
            for (int i = 0; i < 16; i++) {
                sum += (double) a[i] * cAttn[i * 48 + 32 + j];
            }
            value[j] = (float) sum;
        }
        float[] h = Ops.add(x, Linear.readConv1D(w, Gpt2Names.attention(0, "c_proj")).apply(value));
        float[] inner = Linear.readConv1D(w, Gpt2Names.mlp(0, "c_fc")).apply(norm(w, Gpt2Names.norm(0, "ln_2."), h));
        for (int i = 0; i < inner.length; i++) {
            inner[i] = (float) (0.5 * inner[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI)
                    * (inner[i] + 0.044715 * Math.pow(inner[i], 3)))));
        }
        float[] y = Ops.add(h, Linear.readConv1D(w, Gpt2Names.mlp(0, "c_proj")).apply(inner));
        float[] expected = Linear.ofWeight(w, Gpt2Names.EMBED).apply(norm(w, Gpt2Names.FINAL_NORM, y));
        assertTrue(Ops.maxAbsDiff(expected, ReferenceDecoder.create(config, w).step(token, position)) <= 1e-5);
    }

    /** Positions are looked up at position + 2: rows 0 and 1 of the table are never read. */
    @Test
    void optSkipsTheTwoLegacyPositionRows() {
        OptConfig config = opt(true, 16);
        MapTensorSource weights = RandomWeights.opt(config, 10);
        float[] positions = weights.get(OptNames.POSITIONS);
        Arrays.fill(positions, 0, 2 * config.hiddenSize(), Float.NaN);
        weights.put(OptNames.POSITIONS, positions, config.contextLength() + 2, config.hiddenSize());
        for (float[] row : ReferenceDecoder.create(config, weights).run(TOKENS)) {
            for (float logit : row) {
                assertTrue(Float.isFinite(logit));
            }
        }
    }

    @Test
    void createDispatchesAndStepEnforcesContiguousPositions() {
        assertInstanceOf(LlamaReference.class, ReferenceDecoder.create(llama(2, true), RandomWeights.llama(llama(2, true), 1)));
        assertInstanceOf(OptReference.class, ReferenceDecoder.create(opt(true, 16), RandomWeights.opt(opt(true, 16), 1)));
        ReferenceDecoder gpt = ReferenceDecoder.create(gpt2("gelu_new"), RandomWeights.gpt2(gpt2("gelu_new"), 1));
        assertInstanceOf(Gpt2Reference.class, gpt);

        float[] first = gpt.step(TOKENS[0], 0);
        assertThrows(IllegalArgumentException.class, () -> gpt.step(TOKENS[1], 2));
        assertEquals(1, gpt.length());
        gpt.reset();
        assertEquals(0, gpt.length());
        assertTrue(Ops.maxAbsDiff(first, gpt.step(TOKENS[0], 0)) == 0);
    }
}
