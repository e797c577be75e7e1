package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.search.WidthSearch;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-block weight widths under a byte budget ({@code --weight-budget}): on the trained stories260K, the search keeps
 * as many blocks float as the budget holds, the ones whose 4-bit weights cost the most, and the export stores exactly
 * those blocks float and the others as MatMulNBits; budgets it cannot serve are refused before any work.
 */
class WidthSearchTest {
    private static final int WINDOW = 128;

    @TempDir
    Path temp;

    @Test
    void aBudgetForTwoFloatBlocksKeepsTheTwoThatMatterMostFloatAndExportsTheRestAtFourBits() throws Exception {
        try (LoadedModel model = stories260K()) {
            FamilyGraphs family = ModelFamilies.of(model.config()).graphs(model.config());
            long[] int4 = SequentialPruner.blockBytes(model.config(), family, model.tensors(), request(null), false);
            long[] floats = SequentialPruner.blockBytes(model.config(), family, model.tensors(), request(null), true);
            // stories260K's blocks are alike: q and o 64 x 64, k and v 32 x 64 (4 of 8 heads), gate and up 172 x 64,
            // down 64 x 172 (out x in); float32, or per row ceil(in / 32) blocks of 16 bytes and a float32 scale
            assertEquals((2 * 4096 + 2 * 2048 + 3 * 11008) * 4L, floats[0]);
            assertEquals((64 + 32 + 32 + 64) * 2 * 20 + 2 * 172 * 2 * 20 + 64 * 6 * 20, int4[0]);
            long budget = Arrays.stream(int4).sum() + 2 * (floats[0] - int4[0]) + 100; // two blocks float, not three

            Path out = temp.resolve("widths");
            List<int[]> windows = calibrationWindows(model, 16);
            PruneReport report = SequentialPruner.prune(model, request(budget), window -> windows, out);
            WidthSearch.Result found = new ObjectMapper().readValue(
                    out.resolve(WidthSearch.Result.FILE_NAME).toFile(), WidthSearch.Result.class);
            int[] floatLayers = found.floatLayers();
            assertEquals(2, floatLayers.length, Arrays.toString(found.widths()));
            assertTrue(found.bytes() <= budget && found.bytes() == Arrays.stream(int4).sum()
                    + 2 * (floats[0] - int4[0]), "two float blocks, within the budget: " + found.bytes());
            assertTrue(found.foundDivergence() <= found.startDivergence(), "the parent only ever improves");
            assertTrue(found.foundDivergence() < found.allInt4Divergence(),
                    found.foundDivergence() + " vs every block at 4 bits " + found.allInt4Divergence());
            assertTrue(found.foundDivergence() <= found.firstFloatDivergence()
                    && found.foundDivergence() <= found.lastFloatDivergence(),
                    "no worse than the first or the last two blocks float: " + found);
            assertEquals(0.5, report.achievedSparsity(), 1e-3, "the mask is the method's, whatever the widths");

            // the export stores those two blocks float and every other linear layer as MatMulNBits
            ModelCard card = ModelCard.read(out);
            TreeSet<String> expected = new TreeSet<>();
            for (int layer : floatLayers) {
                expected.addAll(family.linearInputs(layer).keySet());
            }
            assertEquals(new ArrayList<>(expected), card.linearQuantization().floatModules());
            OnnxMl.ModelProto graph = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(out.resolve(DecoderIo.MODEL_FILE)));
            long quantizedNodes = graph.getGraph().getNodeList().stream()
                    .filter(n -> n.getOpType().equals("MatMulNBits")).count();
            assertEquals((model.config().numLayers() - 2) * 7L, quantizedNodes);
            assertTrue(Files.notExists(WidthSearch.directoryBeside(out)), "the search's database is deleted");

            // the same seed finds the same widths
            PruneReport again = SequentialPruner.prune(model, request(budget), window -> windows, temp.resolve("again"));
            assertEquals(report.achievedSparsity(), again.achievedSparsity());
            WidthSearch.Result repeated = new ObjectMapper().readValue(
                    temp.resolve("again").resolve(WidthSearch.Result.FILE_NAME).toFile(), WidthSearch.Result.class);
            assertArrayEquals(found.widths(), repeated.widths());
        }
    }

    @Test
    void budgetsTheSearchCannotServeAreRefusedBeforeAnyWork() throws Exception {
        InvalidSetting floatWeights = assertThrows(InvalidSetting.class, () -> new PruneRequest(
                PruneRequest.method(PruneMethod.WANDA), new SparsityPattern.Unstructured(0.5), LayerSparsity.UNIFORM,
                new Calibration(Path.of("calibration.txt"), 16, WINDOW, 0), WeightDtype.FLOAT32, 1, false,
                MaskRefinement.NONE, LinearQuantization.FLOAT, null, 1_000_000L));
        assertEquals("weightBudget", floatWeights.field());
        try (LoadedModel model = stories260K()) {
            FamilyGraphs family = ModelFamilies.of(model.config()).graphs(model.config());
            long allInt4 = Arrays.stream(SequentialPruner.blockBytes(model.config(), family, model.tensors(),
                    request(null), false)).sum();
            long allFloat = Arrays.stream(SequentialPruner.blockBytes(model.config(), family, model.tensors(),
                    request(null), true)).sum();
            for (long budget : new long[] {allInt4 - 1, allFloat, allInt4 + 10}) {
                Path out = temp.resolve("refused-" + budget);
                InvalidSetting refused = assertThrows(InvalidSetting.class, () -> SequentialPruner.prune(model,
                        request(budget), window -> {
                            throw new AssertionError("the calibration windows were asked for");
                        }, out));
                assertEquals("weightBudget", refused.field(), refused.getMessage());
                assertTrue(refused.getMessage().startsWith("weightBudget: " + budget + " bytes"), refused.getMessage());
                assertTrue(Files.notExists(out));
            }
        }
    }

    private static PruneRequest request(Long budget) {
        return new PruneRequest(PruneRequest.method(PruneMethod.WANDA), new SparsityPattern.Unstructured(0.5),
                LayerSparsity.UNIFORM, new Calibration(Path.of("calibration.txt"), 16, WINDOW, 0), WeightDtype.FLOAT32,
                1, false, MaskRefinement.NONE, LinearQuantization.int4(32), null, budget);
    }

    private static LoadedModel stories260K() throws Exception {
        return ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"), Optional.empty());
    }

    private static List<int[]> calibrationWindows(LoadedModel model, int samples) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.open(model.tokenizerPath().orElseThrow())) {
            int[] stream = TokenWindows.paragraphStream(tokenizer,
                    Files.readString(SharedData.path("text/tinystories/calibration.txt")), model.bosTokenId());
            return CalibrationSampler.sample(stream, samples, WINDOW, 0);
        }
    }
}
