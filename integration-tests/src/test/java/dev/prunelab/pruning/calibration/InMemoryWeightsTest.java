package dev.prunelab.pruning.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.unstructured.RandomWindows;
import dev.prunelab.text.corpus.SharedData;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A calibration block hands its weights to ONNX Runtime from direct buffers beside a weightless graph, and frees
 * them once the session exists: the session must hold its own copy. On stories15M's first block, whose matrices
 * (288 x 288 and 288 x 768 floats) are all above the in-memory threshold.
 */
class InMemoryWeightsTest {
    private static final int WINDOW = 32;

    @Test
    void aBlockWithItsWeightsInBuffersComputesWhatTheInlineGraphComputesAfterTheBuffersAreFreedAndReused()
            throws Exception {
        Path checkpoint = SharedData.path("models/stories15M/stories15M.bin");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            int width = CalibrationGraphs.hiddenWidth(model.config());
            CalibrationGraph held = CalibrationGraphs.block(model.config(), model.tensors(), 0, width, true);
            CalibrationGraph inline = CalibrationGraphs.block(model.config(), model.tensors(), 0, width, true,
                    Long.MAX_VALUE);
            assertTrue(inline.weights().isEmpty());
            // the seven linear weights (3.5 MB), not the norms, are outside the graph, which keeps only kilobytes
            assertEquals(7, held.weights().size());
            assertEquals(4L * (4 * 288 * 288 + 3 * 288 * 768), held.weightBytes());
            assertTrue(held.model().length < 64 * 1024, "graph of " + held.model().length + " bytes");

            BlockCalibration calibration = new BlockCalibration(model.config(),
                    new Calibration(Path.of("random"), 2, WINDOW, 0), 1, new StageTimer(new LinkedHashMap<>()));
            List<float[]> hidden = calibration.embed(model.tensors(),
                    RandomWindows.of(model.config().vocabSize(), 2, 5).windows(WINDOW));
            float[] expected = output(new GraphSession(inline, 1), hidden, width);
            try (GraphSession session = new GraphSession(held, 1)) {
                // the freed buffers' memory goes back to the allocator; new buffers of the same sizes full of NaN
                // are likely to land on it, and would poison a session that still read it
                List<ByteBuffer> poison = new ArrayList<>();
                for (var weight : held.weights().values()) {
                    ByteBuffer bytes = ByteBuffer.allocateDirect(weight.bytes().capacity());
                    FloatBuffer floats = bytes.asFloatBuffer();
                    while (floats.hasRemaining()) {
                        floats.put(Float.NaN);
                    }
                    poison.add(bytes);
                }
                assertArrayEquals(expected, output(session, hidden, width));
                assertEquals(held.weights().size(), poison.size());
            }
        }
    }

    private static float[] output(GraphSession session, List<float[]> hidden, int width) {
        try (session) {
            Map<String, FloatBuffer> out = session.runHiddenBatch(hidden, 0, hidden.size(), WINDOW, width,
                    Set.of(CalibrationGraphs.HIDDEN_OUTPUT));
            FloatBuffer states = out.get(CalibrationGraphs.HIDDEN_OUTPUT);
            float[] values = new float[states.remaining()];
            states.get(values);
            return values;
        }
    }
}
