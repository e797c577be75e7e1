package dev.prunelab.pruning.reference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An independent port of the forward pass of karpathy/llama2.c's run.c, reading the legacy llama2.c
 * checkpoint itself (it shares no code with the checkpoint readers or {@link LlamaReference}).
 *
 * <p>File layout (run.c read_checkpoint / memory_map_weights): seven little-endian int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then float32 tensors, each stacked
 * over layers: token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim],
 * wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
 * w3 [L, hidden, dim], rms_final [dim], freq_cis_real and freq_cis_imag [seq_len, head_size/2] (skipped),
 * then wcls [vocab, dim] only if vocab_size is negative (otherwise the classifier is the embedding).
 *
 * <p>Forward (run.c forward): rmsnorm with eps 1e-5; q = wq x, k = wk x, v = wv x; rotary on INTERLEAVED
 * pairs (i, i+1) with freq = 1 / 10000^((i % head_size) / head_size); head h attends with kv head
 * h / (n_heads / n_kv_heads), scores / sqrt(head_size); x += wo att; x += w2 (silu(w1 x') * w3 x');
 * logits = wcls rmsnorm(x). Deviation: dot products accumulate in double (run.c uses float).
 */
final class Llama2cRunC implements ReferenceDecoder {

    final int dim;
    final int hiddenDim;
    final int nLayers;
    final int nHeads;
    final int nKvHeads;
    final int vocabSize;
    final int seqLen;
    private final int headSize;
    private final int kvDim;

    private final float[] tokenEmbedding;
    private final float[] rmsAtt;
    private final float[] wq;
    private final float[] wk;
    private final float[] wv;
    private final float[] wo;
    private final float[] rmsFfn;
    private final float[] w1;
    private final float[] w2;
    private final float[] w3;
    private final float[] rmsFinal;
    private final float[] wcls;

    private final float[] keyCache;   // [layer, seq_len, kv_dim]
    private final float[] valueCache; // [layer, seq_len, kv_dim]
    private int length;

    Llama2cRunC(Path checkpoint) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(checkpoint)).order(ByteOrder.LITTLE_ENDIAN);
        dim = bytes.getInt();
        hiddenDim = bytes.getInt();
        nLayers = bytes.getInt();
        nHeads = bytes.getInt();
        nKvHeads = bytes.getInt();
        int signedVocab = bytes.getInt();
        seqLen = bytes.getInt();
        boolean sharedWeights = signedVocab > 0;
        vocabSize = Math.abs(signedVocab);
        headSize = dim / nHeads;
        kvDim = dim * nKvHeads / nHeads;

        FloatBuffer floats = bytes.asFloatBuffer();
        tokenEmbedding = take(floats, vocabSize * dim);
        rmsAtt = take(floats, nLayers * dim);
        wq = take(floats, nLayers * dim * dim);
        wk = take(floats, nLayers * kvDim * dim);
        wv = take(floats, nLayers * kvDim * dim);
        wo = take(floats, nLayers * dim * dim);
        rmsFfn = take(floats, nLayers * dim);
        w1 = take(floats, nLayers * hiddenDim * dim);
        w2 = take(floats, nLayers * dim * hiddenDim);
        w3 = take(floats, nLayers * hiddenDim * dim);
        rmsFinal = take(floats, dim);
        take(floats, seqLen * headSize / 2); // freq_cis_real (unused by run.c)
        take(floats, seqLen * headSize / 2); // freq_cis_imag (unused by run.c)
        wcls = sharedWeights ? tokenEmbedding : take(floats, vocabSize * dim);
        if (floats.hasRemaining()) {
            throw new IOException(checkpoint + ": " + floats.remaining() + " floats left after the weights");
        }
        keyCache = new float[nLayers * seqLen * kvDim];
        valueCache = new float[nLayers * seqLen * kvDim];
    }

    private static float[] take(FloatBuffer floats, int count) {
        float[] values = new float[count];
        floats.get(values);
        return values;
    }

    // ----- run.c's neural net blocks -----

    private static void rmsnorm(float[] o, float[] x, float[] weight, int weightOffset, int size) {
        double ss = 0;
        for (int j = 0; j < size; j++) {
            ss += (double) x[j] * x[j];
        }
        ss /= size;
        ss += 1e-5;
        ss = 1.0 / Math.sqrt(ss);
        for (int j = 0; j < size; j++) {
            o[j] = (float) (weight[weightOffset + j] * (ss * x[j]));
        }
    }

    /** W (d,n) @ x (n,) -> xout (d,), W read from {@code w} at {@code offset}. */
    private static void matmul(float[] xout, float[] x, float[] w, int offset, int n, int d) {
        for (int i = 0; i < d; i++) {
            double val = 0;
            for (int j = 0; j < n; j++) {
                val += (double) w[offset + i * n + j] * x[j];
            }
            xout[i] = (float) val;
        }
    }

    private static void softmax(float[] x, int size) {
        float max = x[0];
        for (int i = 1; i < size; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        double[] e = new double[size];
        for (int i = 0; i < size; i++) {
            e[i] = Math.exp(x[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < size; i++) {
            x[i] = (float) (e[i] / sum);
        }
    }

    @Override
    public float[] step(int token, int pos) {
        if (pos != length || pos >= seqLen) {
            throw new IllegalArgumentException("position " + pos + " with " + length + " cached (seq_len " + seqLen + ")");
        }
        int kvMul = nHeads / nKvHeads;
        float[] x = new float[dim];
        float[] xb = new float[dim];
        float[] xb2 = new float[dim];
        float[] hb = new float[hiddenDim];
        float[] hb2 = new float[hiddenDim];
        float[] q = new float[dim];
        float[] k = new float[kvDim];
        float[] v = new float[kvDim];
        float[] att = new float[seqLen];

        System.arraycopy(tokenEmbedding, token * dim, x, 0, dim);

        for (int l = 0; l < nLayers; l++) {
            rmsnorm(xb, x, rmsAtt, l * dim, dim);

            matmul(q, xb, wq, l * dim * dim, dim, dim);
            matmul(k, xb, wk, l * dim * kvDim, dim, kvDim);
            matmul(v, xb, wv, l * dim * kvDim, dim, kvDim);

            // RoPE relative positional encoding: complex-valued rotate q and k in each head
            for (int i = 0; i < dim; i += 2) {
                int headDim = i % headSize;
                double freq = 1.0 / Math.pow(10000.0, headDim / (double) headSize);
                double val = pos * freq;
                double fcr = Math.cos(val);
                double fci = Math.sin(val);
                int rotn = i < kvDim ? 2 : 1; // how many vectors? 2 = q & k, 1 = q only
                for (int vi = 0; vi < rotn; vi++) {
                    float[] vec = vi == 0 ? q : k;
                    double v0 = vec[i];
                    double v1 = vec[i + 1];
                    vec[i] = (float) (v0 * fcr - v1 * fci);
                    vec[i + 1] = (float) (v0 * fci + v1 * fcr);
                }
            }

            int loff = l * seqLen * kvDim;
            System.arraycopy(k, 0, keyCache, loff + pos * kvDim, kvDim);
            System.arraycopy(v, 0, valueCache, loff + pos * kvDim, kvDim);

            for (int h = 0; h < nHeads; h++) {
                int qOff = h * headSize;
                int kvHeadOff = (h / kvMul) * headSize;
                for (int t = 0; t <= pos; t++) {
                    int kOff = loff + t * kvDim + kvHeadOff;
                    double score = 0;
                    for (int i = 0; i < headSize; i++) {
                        score += (double) q[qOff + i] * keyCache[kOff + i];
                    }
                    att[t] = (float) (score / Math.sqrt(headSize));
                }
                softmax(att, pos + 1);
                for (int i = 0; i < headSize; i++) {
                    double sum = 0;
                    for (int t = 0; t <= pos; t++) {
                        sum += (double) att[t] * valueCache[loff + t * kvDim + kvHeadOff + i];
                    }
                    xb[qOff + i] = (float) sum;
                }
            }

            matmul(xb2, xb, wo, l * dim * dim, dim, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += xb2[i];
            }

            rmsnorm(xb, x, rmsFfn, l * dim, dim);
            matmul(hb, xb, w1, l * dim * hiddenDim, dim, hiddenDim);
            matmul(hb2, xb, w3, l * dim * hiddenDim, dim, hiddenDim);
            for (int i = 0; i < hiddenDim; i++) {
                double val = hb[i];
                val *= 1.0 / (1.0 + Math.exp(-val)); // silu
                hb[i] = (float) (val * hb2[i]);
            }
            matmul(xb, hb, w2, l * dim * hiddenDim, hiddenDim, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += xb[i];
            }
        }

        rmsnorm(x, x.clone(), rmsFinal, 0, dim);
        float[] logits = new float[vocabSize];
        matmul(logits, x, wcls, 0, dim, vocabSize);
        length++;
        return logits;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void reset() {
        length = 0;
    }
}
