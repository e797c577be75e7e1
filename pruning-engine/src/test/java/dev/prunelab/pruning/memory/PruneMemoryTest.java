package dev.prunelab.pruning.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The working sets a prune is checked against before it starts, on the Llama-3.1-8B shape (its tensors' shapes
 * only: nothing is read), and the refusals a user sees.
 */
class PruneMemoryTest {
    private static final long GIB = 1L << 30;
    private static final DecoderConfig EIGHT_B = SynthesisPreset.LLAMA_3_8B.config().config();

    /** The checkpoint's tensor shapes, as a loaded model presents them; reading values is a test error. */
    private static TensorSource shapesOf(DecoderConfig config) {
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (CheckpointTensor tensor : CheckpointSynthesizer.layout(config)) {
            infos.put(tensor.name(), new TensorInfo(tensor.name(), DType.BF16, tensor.shape(), Path.of("shapes")));
        }
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return new TreeSet<>(infos.keySet());
            }

            @Override
            public boolean contains(String name) {
                return infos.containsKey(name);
            }

            @Override
            public TensorInfo info(String name) {
                return infos.get(name);
            }

            @Override
            public float[] readFloats(String name) {
                throw new AssertionError("the estimate read " + name);
            }

            @Override
            public void close() {
            }
        };
    }

    private static WorkingSet largestBlock(List<WorkingSet> stages) {
        return MemoryBudget.largest(stages.stream().filter(s -> s.stage().startsWith("block ")).toList());
    }

    @Test
    void sparseGptOnTheEightBShapeNeedsItsWidestInverseHessianAndIsRefusedAtSixGibibytes() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, true, false));
        assertEquals(1 + 32 + 1, stages.size(), "embedding, 32 blocks, export");
        WorkingSet block = largestBlock(stages);
        // one block's linear weights: q, o 4096²; k, v 1024 x 4096; gate, up, down 14336 x 4096
        long blockWeights = 2L * 4096 * 4096 + 2L * 1024 * 4096 + 3L * 14336 * 4096;
        assertEquals(blockWeights * 4, part(block, "the pruned block's float32 weights"));
        // H of the down projection's 14336-wide input, copied, flipped and inverted in double, then Hinv in float
        assertEquals(28L * 14336 * 14336, part(block, "the inverse-Hessian work on the 14336-wide input"));
        // Σx², Σx and XᵀX (double) of the four taps: 4096 (q/k/v), 4096 (o), 4096 (gate/up), 14336 (down)
        long statistics = 0;
        for (long in : new long[] {4096, 4096, 4096, 14336}) {
            statistics += 16 * in + 8 * in * in;
        }
        assertEquals(statistics, part(block, "the statistics"));
        // hidden states of 16 windows x 512 tokens x 4096, in and out
        assertEquals(2L * 16 * 512 * 4096 * 4, part(block, "the hidden states in and out"));

        InvalidSetting refused = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(6 * GIB, "--max-memory", 64 * GIB).check(stages));
        assertEquals("maxMemory", refused.field());
        assertTrue(refused.getMessage().contains("block 0 needs " + WorkingSet.size(block.bytes())),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("but --max-memory is 6.0 GiB"), refused.getMessage());
        assertTrue(refused.getMessage().contains("the inverse-Hessian work on the 14336-wide input 5.4 GiB"),
                refused.getMessage());
    }

    @Test
    void wandaOnTheEightBShapeFitsSixGibibytesAndAThreeGibibyteHeapButNotTheTwoGibibyteHeapItRanOutOf() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, false, false));
        WorkingSet block = largestBlock(stages);
        assertEquals(0, part(block, "the inverse-Hessian work on the 14336-wide input"));
        // building the graph reads the widest weight (14336 x 4096) and transposes it
        assertEquals(2L * 14336 * 4096 * 4, part(block, "a weight read and transposed for the graph"));
        assertEquals(block, new MemoryBudget(6 * GIB, "--max-memory", 3 * GIB).check(stages));
        // measured: -Xmx2g ran out of heap building block 6's graph; the heap's headroom refuses it up front
        InvalidSetting heap = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(6 * GIB, "--max-memory", 2 * GIB).check(stages));
        assertTrue(heap.getMessage().contains("of Java heap") && heap.getMessage().contains("-Xmx3g"),
                heap.getMessage());
    }

    @Test
    void gptqKeepsEveryBlocksCodesUntilTheExport() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, true, true));
        WorkingSet first = stages.get(1);
        WorkingSet last = stages.get(32);
        assertEquals("block 31", last.stage());
        assertEquals(32 * part(first, "GPTQ's int4 codes so far"), part(last, "GPTQ's int4 codes so far"), 32);
    }

    @ParameterizedTest
    @CsvSource({"4g, 4294967296", "4096m, 4294967296", "4GB, 4294967296", "4 GiB, 4294967296", "1.5g, 1610612736",
            "12000000000, 12000000000", "512k, 524288"})
    void sizesAreReadAsTheJvmReadsThem(String text, long bytes) {
        assertEquals(bytes, MemoryBudget.parseBytes("maxMemory", text));
    }

    @ParameterizedTest
    @CsvSource({"lots", "4x", "-1g", "''"})
    void malformedSizesAreRefusedByField(String text) {
        InvalidSetting refused = assertThrows(InvalidSetting.class, () -> MemoryBudget.parseBytes("maxMemory", text));
        assertEquals("maxMemory", refused.field());
    }

    private static long part(WorkingSet stage, String what) {
        return stage.parts().stream().filter(p -> p.what().equals(what)).mapToLong(WorkingSet.Part::bytes).sum();
    }
}
