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

    private static WorkingSet stage(List<WorkingSet> stages, String name) {
        return stages.stream().filter(s -> s.stage().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void sparseGptOnTheEightBShapeFitsSixGibibytesInTwoPhasesAndIsRefusedAtFour() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, true, false, false, false));
        assertEquals(1 + 2 * 32 + 1, stages.size(), "embedding, 32 blocks' calibration and pruning math, export");
        WorkingSet calibration = stage(stages, "block 0 (calibration)");
        WorkingSet math = stage(stages, "block 0 (pruning math)");
        // one block's linear weights: q, o 4096²; k, v 1024 x 4096; gate, up, down 14336 x 4096
        long blockWeights = 2L * 4096 * 4096 + 2L * 1024 * 4096 + 3L * 14336 * 4096;
        // the pruned weights are read back from the spill file for the block's calibration pass, not kept
        assertEquals(0, part(calibration, "the pruned block's float32 weights"));
        assertEquals(2 * blockWeights * 4, part(calibration, "the block's weights in ONNX Runtime and their buffers"));
        assertEquals(0, part(math, "the block's weights in ONNX Runtime and their buffers"), "no session is open");
        // the down projection is its tap's last reader: its square H is filled from the packed triangle, which is then
        // dropped, and H⁻¹'s float32 factor takes the triangle's place
        assertEquals(8L * 14336 * 14336, part(math, "the inverse-Hessian work on the 14336-wide input"));
        // Σx², Σx and XᵀX's upper triangle (double) of the four taps: 4096 (q/k/v), 4096 (o), 4096 (gate/up), 14336
        // (down)
        long statistics = 0;
        for (long in : new long[] {4096, 4096, 4096, 14336}) {
            statistics += 16 * in + 4 * in * (in + 1);
        }
        assertEquals(statistics, part(calibration, "the statistics"));
        // the down projection is its tap's only reader and the last matrix: the other taps' H are gone by then
        assertEquals(16L * 14336 + 4L * 14336 * 14337, part(math, "the statistics still to be read"));
        // hidden states of 16 windows x 512 tokens x 4096, in and out
        assertEquals(2L * 16 * 512 * 4096 * 4, part(calibration, "the hidden states in and out"));
        assertEquals(calibration, largestBlock(stages), "the calibration pass is the larger phase");
        assertEquals("block 0 (pruning math)", MemoryBudget.largestOnHeap(stages).stage(),
                "on the heap the math is: what -Xmx must hold");

        assertEquals(calibration, new MemoryBudget(6 * GIB, "--max-memory", 4 * GIB).check(stages));
        InvalidSetting refused = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(4 * GIB, "--max-memory", 64 * GIB).check(stages));
        assertEquals("maxMemory", refused.field());
        assertTrue(refused.getMessage().contains("block 0 (calibration) needs " + WorkingSet.size(calibration.bytes())),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("but --max-memory is 4.0 GiB"), refused.getMessage());
        assertTrue(refused.getMessage().contains("the statistics 977 MiB"), refused.getMessage());
        // on the heap the pruning math is the larger phase: the down projection's square H (1.5 GiB) beside its
        // triangle, or beside H⁻¹'s factor once the triangle is dropped: 2.6 GiB, 3.9 GiB with the headroom
        InvalidSetting heap = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(6 * GIB, "--max-memory", 3 * GIB).check(stages));
        assertTrue(heap.getMessage().contains("block 0 (pruning math) needs 2.6 GiB of Java heap")
                && heap.getMessage().contains("-Xmx4g"), heap.getMessage());
    }

    @Test
    void theLayerSearchKeepsASmallModelsWholeDatabaseOpenButOnlyItsCacheOfTheEightBShape() {
        long linearWeights = 32 * (2L * 4096 * 4096 + 2L * 1024 * 4096 + 3L * 14336 * 4096);
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, false, false, false, false, new PruneMemory.Search(11, 8, 2 * GIB, 32)));
        WorkingSet search = stage(stages, "the layer search");
        assertEquals(2 * GIB, part(search, "the blocks its cache keeps open, in ONNX Runtime"),
                "11 levels of 7B weights (" + 11 * linearWeights * 4 + " bytes) stay on disk");
        assertEquals(32L * 512 * 4096 * 4, part(search, "the hidden states of the candidates scored together"));
        assertEquals(8L * 512 * 128256 * 4, part(search, "the dense model's next-token probabilities"));
        new MemoryBudget(24 * GIB, "--max-memory", 8 * GIB).check(stages); // fits this machine: no refusal
        InvalidSetting refused = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(4 * GIB, "--max-memory", 8 * GIB).check(stages));
        assertTrue(refused.getMessage().contains("the layer search"), refused.getMessage());
        // a cache smaller than a block still holds the block in use
        WorkingSet tiny = stage(PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B), new PruneMemory.Plan(16, 512, false,
                false, false, false, new PruneMemory.Search(11, 8, 1, 32))), "the layer search");
        assertEquals(linearWeights / 32 * 4, part(tiny, "the blocks its cache keeps open, in ONNX Runtime"));
        // a database within the cache is opened whole, as it was when it lived in memory
        WorkingSet whole = stage(PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B), new PruneMemory.Plan(16, 512, false,
                false, false, false, new PruneMemory.Search(11, 8, 1L << 40, 32))), "the layer search");
        assertEquals(11 * linearWeights * 4, part(whole, "every block pruned at 11 levels, in ONNX Runtime"));
        assertTrue(PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B), new PruneMemory.Plan(16, 512, false, false, false,
                false)).stream().noneMatch(s -> s.stage().equals("the layer search")), "no search, no stage");
    }

    @Test
    void wandaOnTheEightBShapeFitsFourGibibytesAndATwoGibibyteHeapButNotAOneGibibyteHeap() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, false, false, false, false));
        WorkingSet block = largestBlock(stages);
        assertEquals(0, part(block, "the inverse-Hessian work on the 14336-wide input"));
        // building the graph reads the widest weight (14336 x 4096), transposed into its buffer chunk by chunk
        assertEquals(14336L * 4096 * 4, part(block, "a weight read for the graph"));
        assertEquals(block, new MemoryBudget(4 * GIB, "--max-memory", 2 * GIB).check(stages));
        // the heap holds the hidden states, one batch of taps and one weight: 0.7 GiB, 1.03 GiB with headroom
        InvalidSetting heap = assertThrows(InvalidSetting.class,
                () -> new MemoryBudget(4 * GIB, "--max-memory", GIB).check(stages));
        assertTrue(heap.getMessage().contains("of Java heap") && heap.getMessage().contains("-Xmx2g"),
                heap.getMessage());
    }

    @Test
    void aRefusedHeapIsToldAnXmxAboveWhatItHasEvenWhenTheCollectorReportsLessThanItsXmx() {
        // 2.6 GiB of Java heap wants 3.9 GiB: -Xmx4g, unless the JVM already has about 4 GiB (-Xmx4g under the
        // serial collector reports 3.9 GiB), then -Xmx5g
        long needed = 2662L << 20;
        assertEquals(4, MemoryBudget.suggestedHeapGibibytes(needed, 2L << 30));
        assertEquals(5, MemoryBudget.suggestedHeapGibibytes(needed, 4L * (1L << 30) - (100L << 20)));
    }

    @Test
    void structuredPruningKeepsThePrunedBlockOnTheHeap() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, false, false, true, false));
        long blockWeights = 2L * 4096 * 4096 + 2L * 1024 * 4096 + 3L * 14336 * 4096;
        assertEquals(blockWeights * 4, part(largestBlock(stages), "the pruned block's float32 weights"));
    }

    @Test
    void gptqKeepsEveryBlocksCodesUntilTheExport() {
        List<WorkingSet> stages = PruneMemory.stages(EIGHT_B, shapesOf(EIGHT_B),
                new PruneMemory.Plan(16, 512, true, true, false, false));
        WorkingSet first = stage(stages, "block 0 (pruning math)");
        WorkingSet last = stage(stages, "block 31 (pruning math)");
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
