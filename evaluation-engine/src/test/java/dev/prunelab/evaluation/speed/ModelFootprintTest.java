package dev.prunelab.evaluation.speed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The footprint reads the card once: the count it was written with, or none for a card older than the field. */
class ModelFootprintTest {
    private static final String CARD = "{\"schemaVersion\":1,\"vocabSize\":32,\"hiddenSize\":8,\"numLayers\":1,"
            + "\"numHeads\":2,\"numKvHeads\":2,\"headDim\":4,\"contextLength\":16,\"parameterCount\":1000%s}";

    @TempDir
    Path model;

    private ModelFootprint footprint(String card) throws IOException {
        Files.writeString(model.resolve(DecoderIo.MODEL_CARD_FILE), card);
        Files.write(model.resolve(DecoderIo.MODEL_FILE), new byte[100]);
        return ModelFootprint.of(model, ModelCard.read(model));
    }

    @Test
    void theCountTheCardWasWrittenWith() throws IOException {
        ModelFootprint footprint = footprint(String.format(CARD, ",\"nonZeroParameterCount\":600"));
        assertEquals(new ModelFootprint(100, 1000, 600L), footprint);
    }

    @Test
    void noCountFromACardWrittenBeforeTheField() throws IOException {
        assertNull(footprint(String.format(CARD, "")).nonZeroParameterCount());
    }
}
