package dev.prunelab.evaluation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose weights alone exceed the machine's (or container's) memory is refused before ONNX Runtime starts
 * loading it, in one line naming the bytes; the sizes are the files' (sparse-stored weights as they expand).
 */
class LoadMemoryTest {
    private static final long GIB = 1L << 30;
    private static final String CARD = "{\"schemaVersion\":1,\"vocabSize\":32,\"hiddenSize\":8,\"numLayers\":1,"
            + "\"numHeads\":2,\"numKvHeads\":2,\"headDim\":4,\"contextLength\":16,\"parameterCount\":1000%s}";

    @TempDir
    Path model;

    private ModelCard write(String cardFields, long dataBytes) throws IOException {
        Files.writeString(model.resolve(DecoderIo.MODEL_CARD_FILE), String.format(CARD, cardFields));
        Files.write(model.resolve(DecoderIo.MODEL_FILE), new byte[1000]);
        try (RandomAccessFile data = new RandomAccessFile(model.resolve(DecoderIo.EXTERNAL_DATA_FILE).toFile(), "rw")) {
            data.setLength(dataBytes); // sparse on disk: only its size matters here
        }
        return ModelCard.read(model);
    }

    @Test
    void weightsLargerThanTheMemoryAreRefusedInOneLineNamingTheBytes() throws IOException {
        ModelCard card = write("", 5 * GIB);
        assertEquals(5 * GIB + 1000, LoadMemory.weightBytes(model, card));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> LoadMemory.check(model, card, 4 * GIB));
        assertTrue(refused.getMessage().contains("its weights need at least 5.25 GiB"), refused.getMessage());
        assertTrue(refused.getMessage().contains("this machine or container has 4.00 GiB"), refused.getMessage());
        assertTrue(!refused.getMessage().contains("\n"));
        LoadMemory.check(model, card, 6 * GIB);
    }

    @Test
    void sparseStoredWeightsCountAsTheyExpand() throws IOException {
        ModelCard card = write(",\"expandedWeightBytes\":" + 3 * GIB, 1000);
        assertEquals(3 * GIB + 1000, LoadMemory.weightBytes(model, card));
        assertThrows(IllegalArgumentException.class, () -> LoadMemory.check(model, card, 3 * GIB));
    }
}
