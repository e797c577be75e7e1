package dev.prunelab.pruning.reference;

import java.util.function.IntToDoubleFunction;

/**
 * The scalar building blocks of the reference forward passes. Vectors are stored as float32 (like a
 * float32 PyTorch model); every reduction (dot product, mean, variance, softmax sum) is accumulated in
 * double, and results are rounded to float32 when stored. Slow on purpose: one loop per formula.
 */
final class Ops {
    private Ops() {
    }

    /** {@code sum_i a[aOff + i] * b[bOff + i]} for i < n, accumulated in double. */
    static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** HF LlamaRMSNorm: {@code w * x / sqrt(mean(x^2) + eps)}. */
    static float[] rmsNorm(float[] x, float[] weight, double eps) {
        double sumSquares = 0;
        for (float v : x) {
            sumSquares += (double) v * v;
        }
        double inverseRms = 1.0 / Math.sqrt(sumSquares / x.length + eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (weight[i] * (x[i] * inverseRms));
        }
        return out;
    }

    /** torch.nn.LayerNorm over the whole vector: {@code (x - mean) / sqrt(var + eps) * w + b}, biased variance. */
    static float[] layerNorm(float[] x, float[] weight, float[] bias, double eps) {
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double variance = 0;
        for (float v : x) {
            variance += (v - mean) * (v - mean);
        }
        variance /= x.length;
        double inverseStd = 1.0 / Math.sqrt(variance + eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double normalised = (x[i] - mean) * inverseStd;
            out[i] = (float) (normalised * (weight == null ? 1.0 : weight[i]) + (bias == null ? 0.0 : bias[i]));
        }
        return out;
    }

    /** Numerically stable softmax of the first n scores, in place (max subtracted, sum in double). */
    static void softmax(double[] scores, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, scores[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            scores[i] = Math.exp(scores[i] - max);
            sum += scores[i];
        }
        for (int i = 0; i < n; i++) {
            scores[i] /= sum;
        }
    }

    /** a + b, elementwise (the residual connection). */
    static float[] add(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("residual widths differ: " + a.length + " vs " + b.length);
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** SiLU (swish): {@code x * sigmoid(x)}. */
    static double silu(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    /** HF "gelu_new" / NewGELUActivation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    static double geluNew(double x) {
        return 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** HF "gelu" / torch.nn.functional.gelu: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    static double geluExact(double x) {
        return 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
    }

    /**
     * The error function to about 1e-14: its Maclaurin series for |x| < 3, and the continued fraction of
     * erfc (Abramowitz &amp; Stegun 7.1.14) beyond.
     */
    static double erf(double x) {
        double a = Math.abs(x);
        double result;
        if (a < 3.0) {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double fraction = a;
            for (int k = 80; k >= 1; k--) {
                fraction = a + (k / 2.0) / fraction;
            }
            result = 1.0 - Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
        }
        return x < 0 ? -result : result;
    }

    /**
     * HF rotary embedding ("rotate_half", modeling_llama.apply_rotary_pos_emb) of one head vector of size d
     * in place: for i &lt; d/2, angle = position * theta^(-2i/d),
     * {@code v'[i] = v[i] cos - v[i+d/2] sin}, {@code v'[i+d/2] = v[i+d/2] cos + v[i] sin}.
     */
    static void rotateHalf(float[] v, int offset, int d, int position, double theta) {
        rotateHalf(v, offset, d / 2, i -> position * Math.pow(theta, -2.0 * i / d));
    }

    /**
     * rotate_half of the first 2 * half dims of one head vector in place, pair i turned by {@code angleOf(i)}:
     * {@code v'[i] = v[i] cos - v[i+half] sin}, {@code v'[i+half] = v[i+half] cos + v[i] sin}. The references
     * differ only in how they compute the angles.
     */
    static void rotateHalf(float[] v, int offset, int half, IntToDoubleFunction angleOf) {
        for (int i = 0; i < half; i++) {
            double angle = angleOf.applyAsDouble(i);
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = v[offset + i];
            double b = v[offset + i + half];
            v[offset + i] = (float) (a * cos - b * sin);
            v[offset + i + half] = (float) (b * cos + a * sin);
        }
    }

    /**
     * llama2.c / Meta rotary embedding of one head vector of size d in place: adjacent pairs (2i, 2i+1)
     * are rotated by angle = position * theta^(-2i/d).
     */
    static void rotateInterleaved(float[] v, int offset, int d, int position, double theta) {
        for (int i = 0; i < d; i += 2) {
            double angle = position * Math.pow(theta, -(double) i / d);
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = v[offset + i];
            double b = v[offset + i + 1];
            v[offset + i] = (float) (a * cos - b * sin);
            v[offset + i + 1] = (float) (a * sin + b * cos);
        }
    }

    /** Index of the largest value (the first one on ties). */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
