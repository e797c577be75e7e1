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
 * the export hold at once. The parts follow the code. A block has two phases that do not overlap:
 * <ul>
 * <li>its calibration passes keep the hidden states of every window twice (in and out), one batch of tap
 * activations, the statistics being gathered (SparseGPT's and GPTQ's XᵀX per tap), the pruned block's float32
 * weights where they stay on the heap (structured pruning), and hand ONNX Runtime the block's float32 weights,
 * which it copies;</li>
 * <li>its pruning math keeps the statistics, the matrix being pruned, and the inverse-Hessian work, done in the
 * tap's H itself for its last reader and in a copy for the others, with H⁻¹'s factor in float32.</li>
 * </ul>
 * It is an estimate by construction; bench/scale.sh compares it with measured peak RSS.
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
     * @param keepsPrunedBlock whether the pruned block's float32 weights stay on the heap for its calibration pass
     *                         (structured pruning; unstructured pruning reads them back from its spill file)
     * @param copiesWeight     whether pruning a matrix holds a second copy of it (DSnoT's dense weights)
     */
    public record Plan(int windows, int window, boolean hessian, boolean keepsInt4Codes, boolean keepsPrunedBlock,
            boolean copiesWeight, Search search) {

        /** A plan without a layer-sparsity search. */
        public Plan(int windows, int window, boolean hessian, boolean keepsInt4Codes, boolean keepsPrunedBlock,
                boolean copiesWeight) {
            this(windows, window, hessian, keepsInt4Codes, keepsPrunedBlock, copiesWeight, null);
        }
    }

    /**
     * A layer-sparsity search's database and fitness: every block pruned at each of {@code levels} levels (on disk,
     * at most {@code cacheBytes} of them open at once), the dense model's next-token probabilities on {@code windows}
     * windows, and the hidden states of {@code candidateWindows} candidate windows scored together.
     */
    public record Search(int levels, int windows, long cacheBytes, int candidateWindows) {
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
            Block block = new Block(layer, config, plan, tapWidths, blockWeights, largestWeight, hiddenStates,
                    linearWeights, List.copyOf(family.linearInputs(layer).values()), family.weightsStoredInputMajor());
            stages.add(block.calibration());
            stages.add(block.pruningMath());
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
        if (plan.search() != null) {
            stages.add(search(config, weights, family, plan, linearWeights));
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

    /** The layer-sparsity search after its database is built: every level of every block, and the head. */
    private static WorkingSet search(DecoderConfig config, TensorSource weights, FamilyGraphs family, Plan plan,
            long linearWeights) {
        long tokens = (long) plan.search().windows() * plan.window();
        long hiddenStates = (long) plan.windows() * plan.window() * config.hiddenSize() * Float.BYTES;
        long database = (long) plan.search().levels() * linearWeights * Float.BYTES;
        long largestBlock = 0;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            long block = 0;
            for (String module : family.linearInputs(layer).keySet()) {
                block += weights.info(module + ".weight").elementCount() * Float.BYTES;
            }
            largestBlock = Math.max(largestBlock, block);
        }
        // the cache closes the least recently used block before it opens another, but always holds the one in use
        long open = Math.min(database, Math.max(plan.search().cacheBytes(), largestBlock));
        return new WorkingSet("the layer search", List.of(
                new Part(open == database ? "every block pruned at " + plan.search().levels() + " levels, in ONNX Runtime"
                        : "the blocks its cache keeps open, in ONNX Runtime", open, Where.NATIVE),
                new Part("the hidden states of the candidates scored together",
                        (long) plan.search().candidateWindows() * plan.window() * config.hiddenSize() * Float.BYTES,
                        Where.JAVA_HEAP),
                new Part("the head in ONNX Runtime", weights.info(family.embeddingName()).elementCount() * Float.BYTES,
                        Where.NATIVE),
                new Part("the dense model's next-token probabilities", tokens * config.vocabSize() * Float.BYTES,
                        Where.JAVA_HEAP),
                new Part("one window's log-probabilities, read", (long) plan.window() * config.vocabSize() * Float.BYTES,
                        Where.JAVA_HEAP),
                new Part("the windows' hidden states", hiddenStates, Where.JAVA_HEAP),
                runtime()));
    }

    /**
     * One block's two phases, which do not overlap: its calibration passes (the dense block's statistics, then
     * the pruned block's outputs), where ONNX Runtime holds the block; and the pruning math between them, where
     * the statistics meet the inverse-Hessian work.
     */
    private record Block(int layer, DecoderConfig config, Plan plan, Map<Tap, Long> tapWidths, long blockWeights,
            long largestWeight, long hiddenStates, long linearWeightsSoFar, List<Tap> readOrder,
            boolean weightsStoredInputMajor) {

        long statistics() {
            long statistics = 0;
            for (long in : tapWidths.values()) {
                statistics += statistics(in);
            }
            return statistics;
        }

        long statistics(long in) {
            // the sums, and H's upper triangle packed (UpperTriangle)
            return 2L * Double.BYTES * in + (plan.hessian() ? (long) Double.BYTES * in * (in + 1) / 2 : 0);
        }

        WorkingSet calibration() {
            long tapSum = tapWidths.values().stream().mapToLong(Long::longValue).sum();
            long width = config.hiddenSize();
            long batchTokens = plan.windows() == 0 ? 0
                    : (long) Math.min(plan.windows(), Math.max(1, BlockCalibration.BATCH_TOKENS / plan.window()))
                            * plan.window();
            List<Part> parts = new ArrayList<>();
            parts.add(new Part("the hidden states in and out", 2 * hiddenStates, Where.JAVA_HEAP));
            parts.add(new Part("one batch of tap activations", batchTokens * tapSum * Float.BYTES, Where.JAVA_HEAP));
            if (plan.keepsPrunedBlock()) {
                parts.add(new Part("the pruned block's float32 weights", blockWeights * Float.BYTES, Where.JAVA_HEAP));
            }
            // building the block's graph reads one weight at a time (a copy), transposed into its buffer by chunks
            parts.add(new Part("a weight read for the graph", largestWeight * Float.BYTES, Where.JAVA_HEAP));
            parts.add(new Part("the statistics", statistics(), Where.JAVA_HEAP));
            if (plan.keepsInt4Codes()) {
                parts.add(new Part("GPTQ's int4 codes so far", (long) (linearWeightsSoFar * GPTQ_BYTES_PER_WEIGHT),
                        Where.JAVA_HEAP));
            }
            // ONNX Runtime copies the block's weights from the direct buffers they are handed in: both exist while
            // the session is created
            parts.add(new Part("the block's weights in ONNX Runtime and their buffers",
                    2 * blockWeights * Float.BYTES, Where.NATIVE));
            long attentionScores = plan.window() == 0 ? 0
                    : batchTokens / plan.window() * config.numHeads() * (long) plan.window() * plan.window()
                            * Float.BYTES;
            parts.add(new Part("ONNX Runtime's activations of one batch",
                    batchTokens * (2 * tapSum + 2 * width) * Float.BYTES + attentionScores, Where.NATIVE));
            parts.add(runtime());
            return new WorkingSet("block " + layer + " (calibration)", parts);
        }

        WorkingSet pruningMath() {
            // the matrices in the pruner's order: a tap's statistics live until its last reader has them, and every
            // reader works in a square H of its own, filled from the packed triangle, beside the float32 factor of
            // H⁻¹; the last reader's triangle is dropped as its square is filled, and the factor (4·in² bytes, no more
            // than the triangle) takes its place
            Map<Tap, Integer> remaining = new EnumMap<>(Tap.class);
            readOrder.forEach(tap -> remaining.merge(tap, 1, Integer::sum));
            long peakStatistics = 0, peakWork = 0, peakWidth = 0;
            for (Tap tap : readOrder) {
                long alive = 0;
                for (Map.Entry<Tap, Integer> live : remaining.entrySet()) {
                    alive += live.getValue() > 0 ? statistics(tapWidths.get(live.getKey())) : 0;
                }
                long in = tapWidths.get(tap);
                boolean ownH = remaining.get(tap) == 1 && !plan.keepsInt4Codes();
                long work = !plan.hessian() ? 0 : (long) Double.BYTES * in * in + (ownH ? 0 : (long) Float.BYTES * in * in);
                if (alive + work > peakStatistics + peakWork) {
                    peakStatistics = alive;
                    peakWork = work;
                    peakWidth = in;
                }
                remaining.merge(tap, -1, Integer::sum);
            }
            List<Part> parts = new ArrayList<>();
            parts.add(new Part("the hidden states in", hiddenStates, Where.JAVA_HEAP));
            parts.add(new Part("the statistics still to be read", peakStatistics, Where.JAVA_HEAP));
            // the matrix being pruned (scores and masks go row by row or block by block), and a second copy where
            // DSnoT keeps the dense weights or a Conv1D layout is transposed
            boolean copy = plan.copiesWeight() || weightsStoredInputMajor;
            parts.add(new Part(copy ? "a weight and its copy" : "the weight being pruned",
                    (copy ? 2 : 1) * largestWeight * Float.BYTES, Where.JAVA_HEAP));
            if (plan.hessian()) {
                parts.add(new Part("the inverse-Hessian work on the " + peakWidth + "-wide input", peakWork,
                        Where.JAVA_HEAP));
            }
            if (plan.keepsInt4Codes()) {
                parts.add(new Part("GPTQ's int4 codes so far", (long) (linearWeightsSoFar * GPTQ_BYTES_PER_WEIGHT),
                        Where.JAVA_HEAP));
            }
            parts.add(runtime());
            return new WorkingSet("block " + layer + " (pruning math)", parts);
        }
    }

    private static Part runtime() {
        return new Part("the runtime (JVM, ONNX Runtime)", ProcessMemory.RUNTIME_BYTES, Where.NATIVE);
    }
}
