package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.StageTimer;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.search.LevelSearch;
import dev.prunelab.pruning.structured.StructuredPruner;
import dev.prunelab.pruning.structured.StructuredReport;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.text.corpus.CalibrationSampler;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.corpus.TokenWindows;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-layer search ({@code --layer-sparsity search}, structured {@code --allocation search}): on the trained
 * stories260K it finds levels whose divergence from the dense model is lower than uniform's, with the mean level the
 * target, the same levels for the same seed; a prune with it records what it found; requests it cannot serve are
 * refused before the search.
 */
class LevelSearchTest {
    private static final LevelSearch.Settings SMALL = new LevelSearch.Settings(0.05, 3, 6, 6, new int[] {2, 4},
            new int[] {2, 1}, 7);

    @TempDir
    Path temp;

    @Test
    void onTrainedWeightsTheLevelsFoundDivergeLessThanUniformAtTheSameMean() throws Exception {
        try (LoadedModel model = stories260K()) {
            List<int[]> windows = calibrationWindows(model, 8, 128);
            LevelSearch.Result found = search(model, windows, SMALL, temp.resolve("first"), NONE);
            assertEquals(0.7, Arrays.stream(found.allocation()).average().orElseThrow(), 1e-9, "mean level");
            List<Double> ladder = Arrays.stream(found.ladder()).boxed().toList();
            for (double level : found.allocation()) {
                assertTrue(ladder.contains(level), level + " is not on the ladder " + ladder);
            }
            assertArrayEquals(new double[] {0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85}, found.ladder(), 1e-9);
            assertTrue(found.uniformDivergence() > 0, "pruning 70% changes the next-token distribution");
            assertTrue(found.foundDivergence() < found.uniformDivergence(),
                    "found " + found.foundDivergence() + " vs uniform " + found.uniformDivergence());
            for (int g = 1; g < found.divergenceByGeneration().length; g++) {
                assertTrue(found.divergenceByGeneration()[g] <= found.divergenceByGeneration()[g - 1],
                        "the parent only ever improves");
            }
            assertArrayEquals(found.allocation(), search(model, windows, SMALL, temp.resolve("again"), NONE)
                    .allocation(), "same seed, same levels");
        }
    }

    /** Stops the search (as a killed process would) when it reports {@code done} of {@code total}. */
    private record StopAt(int done, int total) implements ProgressListener {
        @Override
        public void progress(RunStage stage, int finished, int of) {
            if (finished == done && of == total) {
                throw new IllegalStateException("stopped at " + done + " of " + total);
            }
        }
    }

    @Test
    void aSearchStoppedMidwayResumesFromItsDirectoryWithTheResultItWouldHaveHad() throws Exception {
        try (LoadedModel model = stories260K()) {
            List<int[]> windows = calibrationWindows(model, 8, 128);
            AtomicInteger blocksPruned = new AtomicInteger();
            LevelSearch.Result whole = search(model, windows, SMALL, temp.resolve("whole"), blocksPruned);
            int levels = whole.ladder().length;
            int layers = model.config().numLayers();
            assertEquals(layers * levels, blocksPruned.get(), "every block at every level, once");

            // stopped after 2 of the 6 generations: the database is not built again, the search goes on from there
            Path directory = temp.resolve("stopped");
            assertThrows(IllegalStateException.class, () -> LevelSearch.search(model.config(), model.tensors(),
                    "wanda", "wanda", 0.7, false, variant(model, new AtomicInteger()), calibration(model, windows),
                    windows, SMALL, directory, new StopAt(2, SMALL.generations())));
            blocksPruned.set(0);
            assertResultsEqual(whole, search(model, windows, SMALL, directory, blocksPruned));
            assertEquals(0, blocksPruned.get(), "the database was on disk");

            // stopped inside the database (after block 2 of 5): only the blocks after it are pruned again
            Path early = temp.resolve("early");
            assertThrows(IllegalStateException.class, () -> LevelSearch.search(model.config(), model.tensors(),
                    "wanda", "wanda", 0.7, false, variant(model, new AtomicInteger()), calibration(model, windows),
                    windows, SMALL, early, new StopAt(2, layers)));
            blocksPruned.set(0);
            assertResultsEqual(whole, search(model, windows, SMALL, early, blocksPruned));
            assertEquals((layers - 2) * levels, blocksPruned.get(), "blocks 2.. pruned again, 0 and 1 read back");

            // another seed keeps the database and starts the generations over: what a fresh search finds
            LevelSearch.Settings otherSeed = new LevelSearch.Settings(0.05, 3, 6, 6, new int[] {2, 4},
                    new int[] {2, 1}, 8);
            blocksPruned.set(0);
            LevelSearch.Result reseeded = search(model, windows, otherSeed, directory, blocksPruned);
            assertEquals(0, blocksPruned.get());
            assertResultsEqual(search(model, windows, otherSeed, temp.resolve("fresh"), NONE), reseeded);

            // another target is another database: the directory's blocks are pruned again
            blocksPruned.set(0);
            LevelSearch.search(model.config(), model.tensors(), "wanda", "wanda", 0.6, false,
                    variant(model, blocksPruned), calibration(model, windows), windows, SMALL, directory,
                    ProgressListener.NONE);
            assertEquals(layers * 7, blocksPruned.get());
        }
    }

    @Test
    void aCacheOfOneBlockOpensBlocksFromDiskAgainAndFindsTheSameLevels() throws Exception {
        try (LoadedModel model = stories260K()) {
            List<int[]> windows = calibrationWindows(model, 8, 128);
            LevelSearch.Result open = search(model, windows, SMALL, temp.resolve("open"), NONE);
            LevelSearch.Result oneBlock = search(model, windows, SMALL.withCacheBytes(1), temp.resolve("one"), NONE);
            assertResultsEqual(open, oneBlock);
            int blocks = model.config().numLayers() * open.ladder().length;
            assertTrue(open.blocksOpened() <= blocks, "each block at each level opened at most once: "
                    + open.blocksOpened());
            assertTrue(oneBlock.blocksOpened() > blocks, "closed and opened again: " + oneBlock.blocksOpened());
        }
    }

    private static void assertResultsEqual(LevelSearch.Result expected, LevelSearch.Result actual) {
        assertArrayEquals(expected.allocation(), actual.allocation(), 0.0, "levels");
        assertArrayEquals(expected.divergenceByGeneration(), actual.divergenceByGeneration(), 0.0, "trace");
        assertEquals(expected.uniformDivergence(), actual.uniformDivergence(), 0.0);
        assertEquals(expected.foundDivergence(), actual.foundDivergence(), 0.0);
        assertEquals(expected.evaluations(), actual.evaluations(), "candidates scored");
    }

    @Test
    void aPruneWithTheSearchUsesAndRecordsTheLevelsItFound() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 5);
        Path out = temp.resolve("searched");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneReport report = SequentialPruner.prune(model, request("0.5", "search", 8),
                    RandomWindows.of(512, 8, 1), out);
            assertEquals("search", report.layerSparsity());
            JsonNode recorded = recorded(out);
            double[] levels = allocation(recorded);
            assertArrayEquals(levels, report.layerAllocation(), 0.0, "the prune used the levels found");
            assertEquals(0.5, Arrays.stream(levels).average().orElseThrow(), 1e-9);
            assertEquals(0, recorded.get("seed").asLong(), "the calibration's seed");
            for (PruneReport.MatrixSparsity matrix : report.matrices()) {
                assertEquals(levels[matrix.layer()], matrix.requested(), 1e-12, matrix.name());
            }
            assertTrue(Files.notExists(LevelSearch.directoryBeside(out)), "the search's database is deleted");
        }
    }

    @Test
    void requestsTheSearchCannotServeAreRefusedBeforeItStarts() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> request("2:4", "search", 8));
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 5);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            InvalidSetting tooFew = assertThrows(InvalidSetting.class, () -> SequentialPruner.prune(model,
                    request("0.5", "search", 4), RandomWindows.of(512, 4, 1), temp.resolve("few")));
            assertTrue(tooFew.getMessage().contains("8 calibration windows"), tooFew.getMessage());
            InvalidSetting noRoom = assertThrows(InvalidSetting.class, () -> SequentialPruner.prune(model,
                    request("0.93", "search", 8), RandomWindows.of(512, 8, 1), temp.resolve("high")));
            assertTrue(noRoom.getMessage().contains("leaves no room"), noRoom.getMessage());
            assertTrue(Files.notExists(temp.resolve("few")) && Files.notExists(temp.resolve("high")));
        }
    }

    private static PruneRequest request(String pattern, String layers, int samples) {
        return new PruneRequest(PruneRequest.method(PruneMethod.WANDA), SparsityPattern.parse(pattern),
                LayerSparsity.of(layers), new Calibration(Path.of("random"), samples, 32, 0), WeightDtype.FLOAT32, 1);
    }

    @Test
    void structuredPruningRemovesEachLayersShareTheSearchFound() throws Exception {
        Path out = temp.resolve("structured");
        try (LoadedModel model = stories260K()) {
            List<int[]> windows = calibrationWindows(model, 8, 128);
            StructuredReport report = StructuredPruner.prune(model, new StructuredRequest(StructuredTarget.of("mlp"),
                    0.3, StructuredScore.of("flap"), StructuredAllocation.SEARCH, true,
                    new Calibration(Path.of("calibration.txt"), 8, 128, 0), WeightDtype.FLOAT32, 1),
                    window -> windows, out);
            JsonNode recorded = recorded(out);
            double[] ratios = allocation(recorded);
            assertEquals(0.3, Arrays.stream(ratios).average().orElseThrow(), 1e-9, "mean ratio");
            assertArrayEquals(ratios, report.layerRatios(), 0.0, "the prune used the ratios found");
            assertTrue(recorded.get("foundDivergence").asDouble() <= recorded.get("uniformDivergence").asDouble());
            assertTrue(Files.notExists(LevelSearch.directoryBeside(out)), "the search's database is deleted");
            // each layer lost its own share of its MLP channels, rounded to whole channels
            for (int layer = 0; layer < ratios.length; layer++) {
                long before = model.config().intermediateSize();
                long after = report.layersAfter().get(layer).mlpWidth();
                assertEquals(Math.round(ratios[layer] * before), before - after, "layer " + layer);
            }
        }
    }

    private static final AtomicInteger NONE = new AtomicInteger();

    /** Wanda 0.7 searched in {@code directory}, counting the blocks the database prunes into {@code blocksPruned}. */
    private static LevelSearch.Result search(LoadedModel model, List<int[]> windows, LevelSearch.Settings settings,
            Path directory, AtomicInteger blocksPruned) {
        return LevelSearch.search(model.config(), model.tensors(), "wanda", "wanda", 0.7, false,
                variant(model, blocksPruned), calibration(model, windows), windows, settings, directory,
                ProgressListener.NONE);
    }

    private static LevelSearch.BlockVariant variant(LoadedModel model, AtomicInteger blocksPruned) {
        PruneRequest request = new PruneRequest(PruneRequest.method(PruneMethod.WANDA),
                new SparsityPattern.Unstructured(0.7), LayerSparsity.SEARCH,
                new Calibration(Path.of("calibration.txt"), 8, 128, 0), WeightDtype.FLOAT32, 1);
        LevelSearch.BlockVariant wanda = SequentialPruner.searchVariant(model.config(), model.tensors(), request);
        return (layer, level, stats, file) -> {
            blocksPruned.incrementAndGet();
            wanda.write(layer, level, stats, file);
        };
    }

    private static BlockCalibration calibration(LoadedModel model, List<int[]> windows) {
        return new BlockCalibration(model.config(), new Calibration(Path.of("calibration.txt"), windows.size(),
                windows.get(0).length, 0), 1, new StageTimer(new HashMap<>()));
    }

    private static LoadedModel stories260K() throws Exception {
        return ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"), Optional.empty());
    }

    /** The layer-search.json a prune wrote into {@code out}. */
    private static JsonNode recorded(Path out) throws Exception {
        return new ObjectMapper().readTree(out.resolve(LevelSearch.Result.FILE_NAME).toFile());
    }

    private static double[] allocation(JsonNode recorded) {
        double[] levels = new double[recorded.get("allocation").size()];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = recorded.get("allocation").get(i).asDouble();
        }
        return levels;
    }

    private static List<int[]> calibrationWindows(LoadedModel model, int samples, int window) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.open(model.tokenizerPath().orElseThrow())) {
            int[] stream = TokenWindows.paragraphStream(tokenizer,
                    Files.readString(SharedData.path("text/tinystories/calibration.txt")), model.bosTokenId());
            return CalibrationSampler.sample(stream, samples, window, 0);
        }
    }
}
