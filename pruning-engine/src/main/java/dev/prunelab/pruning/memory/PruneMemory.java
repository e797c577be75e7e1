package dev.prunelab.pruning.memory;

import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.graph.WeightFormat;
import dev.prunelab.pruning.memory.WorkingSet.Part;
import dev.prunelab.pruning.memory.WorkingSet.Where;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The working sets of a sequential prune ({@code SequentialPruner}, {@code StructuredPruner}), from the
 * checkpoint's tensor shapes and the request, before anything is read: what the embedding stage, each block and
 * the export hold at once. The parts follow the code: a block's calibration keeps the hidden states of every
 * window twice (in and out), one batch of tap activations, the block's pruned float32 weights, the statistics
 * (SparseGPT's and GPTQ's XᵀX per tap, and the inverse-Hessian work on the widest input), and hands ONNX Runtime
 * the block's float32 weights, which it copies. It is an estimate by construction; bench/scale.sh compares it with
 * measured peak RSS.
 */
public final class PruneMemory {
    /** GPTQ's kept int4 blocks per weight: half a byte of code, a float scale and a zero point per 32 weights. */
    private static final double GPTQ_BYTES_PER_WEIGHT = 0.5 + 5.0 / 32;

    private PruneMemory() {
    }

    /**
     * What a prune's request asks of memory.
     *
     * @param windows          calibration windows (0 when the method needs none)
     * @param window           tokens per window
     * @param hessian          whether the statistics keep XᵀX (SparseGPT, GPTQ)
     * @param keepsInt4Codes   whether every block's int4 codes are kept until the export (GPTQ)
     */
    public record Plan(int windows, int window, boolean hessian, boolean keepsInt4Codes) {
    }

    /** The embedding stage, every block, and the export, in order. */
    public static List<WorkingSet> stages(DecoderConfig config, TensorSource weights, Plan plan) {
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        List<WorkingSet> stages = new ArrayList<>();
        long width = config.hiddenSize();
        long hiddenStates = (long) plan.windows() * plan.window() * width * Float.BYTES;
        if (plan.windows() > 0) {
            TensorInfo table = weights.info(family.embeddingName());
            long rows = Math.min((long) plan.windows() * plan.window(), table.dimension(0));
            stages.add(new WorkingSet("the calibration embedding", List.of(
                    new Part("the embedding rows the windows use", rows * table.dimension(1) * Float.BYTES,
                            Where.JAVA_HEAP),
                    new Part("the windows' hidden states", hiddenStates, Where.JAVA_HEAP),
                    new Part("the rows in ONNX Runtime", rows * table.dimension(1) * Float.BYTES, Where.NATIVE),
                    runtime())));
        }
        long linearWeights = 0;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            Map<Tap, Long> tapWidths = new EnumMap<>(Tap.class);
            long blockWeights = 0;
            long largestWeight = 0;
            for (Map.Entry<String, Tap> linear : family.linearInputs(layer).entrySet()) {
                TensorInfo info = weights.info(linear.getKey() + ".weight");
                long in = family.weightsStoredInputMajor() ? info.dimension(0) : info.dimension(1);
                tapWidths.merge(linear.getValue(), in, Math::max);
                blockWeights += info.elementCount();
                largestWeight = Math.max(largestWeight, info.elementCount());
            }
            linearWeights += blockWeights;
            stages.add(block(layer, config, plan, tapWidths, blockWeights, largestWeight, hiddenStates,
                    linearWeights));
        }
        long allWeights = 0;
        long largestLinear = 0;
        for (String name : weights.names()) {
            allWeights += weights.info(name).elementCount();
        }
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (String module : family.linearInputs(layer).keySet()) {
                largestLinear = Math.max(largestLinear, weights.info(module + ".weight").elementCount());
            }
        }
        List<Part> export = new ArrayList<>();
        // a linear weight is read whole and stored transposed; larger tables (embeddings, an untied head) go to
        // the external data file in chunks, but a model under the external-data threshold is one inline graph,
        // held as the proto and its serialised copy
        export.add(new Part("the largest linear weight and its transpose", 2 * largestLinear * Float.BYTES,
                Where.JAVA_HEAP));
        if (allWeights * Float.BYTES <= WeightFormat.EXTERNAL_DATA_THRESHOLD_BYTES) {
            export.add(new Part("the inline graph's weights, twice", 2 * allWeights * Float.BYTES, Where.JAVA_HEAP));
        }
        if (plan.keepsInt4Codes()) {
            export.add(new Part("GPTQ's int4 codes of every block", (long) (linearWeights * GPTQ_BYTES_PER_WEIGHT),
                    Where.JAVA_HEAP));
        }
        export.add(runtime());
        stages.add(new WorkingSet("the export", export));
        return stages;
    }

    private static WorkingSet block(int layer, DecoderConfig config, Plan plan, Map<Tap, Long> tapWidths,
            long blockWeights, long largestWeight, long hiddenStates, long linearWeightsSoFar) {
        long taps = tapWidths.values().stream().mapToLong(Long::longValue).sum();
        long widest = tapWidths.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long width = config.hiddenSize();
        long batchTokens = plan.windows() == 0 ? 0
                : (long) Math.min(plan.windows(), Math.max(1, BlockCalibration.BATCH_TOKENS / plan.window()))
                        * plan.window();
        long statistics = 0;
        for (long in : tapWidths.values()) {
            statistics += 2L * Double.BYTES * in + (plan.hessian() ? (long) Double.BYTES * in * in : 0);
        }
        List<Part> parts = new ArrayList<>();
        parts.add(new Part("the hidden states in and out", 2 * hiddenStates, Where.JAVA_HEAP));
        parts.add(new Part("one batch of tap activations", batchTokens * taps * Float.BYTES, Where.JAVA_HEAP));
        parts.add(new Part("the pruned block's float32 weights", blockWeights * Float.BYTES, Where.JAVA_HEAP));
        // building the block's graph reads one weight (a copy) and stores it transposed
        parts.add(new Part("a weight read and transposed for the graph", 2 * largestWeight * Float.BYTES,
                Where.JAVA_HEAP));
        parts.add(new Part("the statistics", statistics, Where.JAVA_HEAP));
        if (plan.hessian()) {
            // SparseGPT/GPTQ on the widest input: H's symmetric copy, the flipped factor, its inverse (double)
            // and the float32 Hinv
            parts.add(new Part("the inverse-Hessian work on the " + widest + "-wide input",
                    (3L * Double.BYTES + Float.BYTES) * widest * widest, Where.JAVA_HEAP));
        }
        if (plan.keepsInt4Codes()) {
            parts.add(new Part("GPTQ's int4 codes so far", (long) (linearWeightsSoFar * GPTQ_BYTES_PER_WEIGHT),
                    Where.JAVA_HEAP));
        }
        // ONNX Runtime copies the block's weights from the direct buffers they are handed in: both exist while
        // the session is created
        parts.add(new Part("the block's weights in ONNX Runtime and their buffers",
                2 * blockWeights * Float.BYTES, Where.NATIVE));
        long attentionScores = plan.window() == 0 ? 0
                : batchTokens / plan.window() * config.numHeads() * (long) plan.window() * plan.window() * Float.BYTES;
        parts.add(new Part("ONNX Runtime's activations of one batch",
                batchTokens * (2 * taps + 2 * width) * Float.BYTES + attentionScores, Where.NATIVE));
        parts.add(runtime());
        return new WorkingSet("block " + layer, parts);
    }

    private static Part runtime() {
        return new Part("the runtime (JVM, ONNX Runtime)", ProcessMemory.RUNTIME_BYTES, Where.NATIVE);
    }
}
