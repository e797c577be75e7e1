package dev.prunelab.pruning.graph;

/**
 * Hugging Face "rotate_half" rotary embedding as ONNX {@code RotaryEmbedding} (opset 23, not interleaved), with
 * cos/sin tables [positions, D/2] computed once at export (in double, rounded to float) for every position the
 * model's context admits.
 */
public final class Rotary {
    private final GraphBuilder g;
    private final String positionIds;
    private final String cos;
    private final String sin;
    private final int headDim;
    private final int rotaryDim;   // the leading dimensions of each head that rotate (Phi-3's partial rotary)
    private final String module;   // "model.rotary_emb": names the tables and the nodes that gather them
    private String cosByPosition;  // the tables gathered for this graph's positions, [B,S,1,D] (primitive path)
    private String sinByPosition;

    /** angle[p, i] = p * theta^(-2i/D), i < D/2, p < {@code positions}. */
    public Rotary(GraphBuilder g, String positionIds, int headDim, double theta, int positions) {
        this(g, positionIds, "model.rotary_emb", headDim, inverseFrequencies(headDim, theta, 1.0), positions);
    }

    /**
     * angle[p, i] = p * inverseFrequencies[i], i < R/2, p < {@code positions}; {@code module} names the tables, so a
     * graph can hold two rotations (Gemma 3's global and local bases). R = 2 * inverseFrequencies.length is the
     * rotary dimension: the first R dimensions of each head rotate (rotate_half within them) and the other D - R
     * pass through, as Phi-3's partial_rotary_factor says (R = D for every other model).
     */
    public Rotary(GraphBuilder g, String positionIds, String module, int headDim, double[] inverseFrequencies,
            int positions) {
        this.g = g;
        this.positionIds = positionIds;
        this.headDim = headDim;
        this.module = module;
        int half = inverseFrequencies.length;
        this.rotaryDim = 2 * half;
        if (half == 0 || rotaryDim > headDim) {
            throw new IllegalArgumentException(module + ": " + inverseFrequencies.length
                    + " inverse frequencies for head_dim " + headDim);
        }
        float[] cosTable = new float[positions * half];
        float[] sinTable = new float[positions * half];
        for (int i = 0; i < half; i++) {
            for (int p = 0; p < positions; p++) {
                double angle = p * inverseFrequencies[i];
                cosTable[p * half + i] = (float) Math.cos(angle);
                sinTable[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = g.floatConstant(module + ".cos_cache", cosTable, positions, half);
        sin = g.floatConstant(module + ".sin_cache", sinTable, positions, half);
    }

    /** theta^(-2i/D) / linearFactor for i < D/2 (Hugging Face's default rotary, and its "linear" scaling). */
    public static double[] inverseFrequencies(int headDim, double theta, double linearFactor) {
        double[] inverse = new double[headDim / 2];
        for (int i = 0; i < inverse.length; i++) {
            inverse[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim) / linearFactor;
        }
        return inverse;
    }

    /**
     * x*cos + rotate_half(x)*sin per head of x [B,S,heads*D], rotate_half(x) = [-x2, x1] for halves x1 | x2 of the
     * first R dimensions (the operator's rotary_embedding_dim where R &lt; D; the rest pass through).
     */
    public String apply(String path, String x, int heads) {
        if (!g.hasFusedOps()) {
            return applyWithPrimitives(path, x, heads);
        }
        if (rotaryDim < headDim) {
            return g.node("RotaryEmbedding", path + "/RotaryEmbedding", new String[] {x, cos, sin, positionIds},
                    GraphBuilder.intAttribute("num_heads", heads),
                    GraphBuilder.intAttribute("rotary_embedding_dim", rotaryDim));
        }
        return g.node("RotaryEmbedding", path + "/RotaryEmbedding", new String[] {x, cos, sin, positionIds},
                GraphBuilder.intAttribute("num_heads", heads));
    }

    /**
     * The same rotation in opset-13 operators (the growing-cache export):
     * <pre>
     * cos [P,R/2] -Gather(position_ids)-> [B,S,R/2] -Concat(itself)-> [B,S,R] -Unsqueeze-> [B,S,1,R]  (once)
     * x [B,S,H*D] -Reshape-> [B,S,H,D]: x*cos + Concat(-x2, x1)*sin -Reshape-> [B,S,H*D]
     * </pre>
     * With R &lt; D the rotation is of the slice x[..., :R], concatenated with the untouched x[..., R:].
     */
    private String applyWithPrimitives(String path, String x, int heads) {
        if (cosByPosition == null) {
            String nodePath = "/" + module.replace('.', '/');
            cosByPosition = byPosition(nodePath + "/cos", cos);
            sinByPosition = byPosition(nodePath + "/sin", sin);
        }
        int half = rotaryDim / 2;
        String perHead = g.reshape(path + "/Reshape_heads", x, 0, 0, heads, headDim);
        String rotating = rotaryDim < headDim ? g.slice(path + "/Slice_rotary", perHead, 0, rotaryDim, 3) : perHead;
        String first = g.slice(path + "/Slice_first_half", rotating, 0, half, 3);
        String second = g.slice(path + "/Slice_second_half", rotating, half, rotaryDim, 3);
        String rotated = g.concat(path + "/Concat_rotate_half", 3, g.unary("Neg", path + "/Neg", second), first);
        String sum = g.add(path + "/Add", g.mul(path + "/Mul_cos", rotating, cosByPosition),
                g.mul(path + "/Mul_sin", rotated, sinByPosition));
        if (rotaryDim < headDim) {
            sum = g.concat(path + "/Concat_pass", 3, sum, g.slice(path + "/Slice_pass", perHead, rotaryDim, headDim, 3));
        }
        return g.reshape(path + "/Reshape", sum, 0, 0, (long) heads * headDim);
    }

    private String byPosition(String path, String table) {
        String gathered = g.gather(path + "/Gather", table, positionIds, 0);
        return g.unsqueeze(path + "/Unsqueeze", g.concat(path + "/Concat", -1, gathered, gathered), 2);
    }
}
