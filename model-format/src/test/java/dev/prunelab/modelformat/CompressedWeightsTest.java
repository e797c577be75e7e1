package dev.prunelab.modelformat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompressedWeightsTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"4, 1000, 0.5", "2, 777, 0.9", "4, 64, 0.0", "2, 130, 1.0", "4, 1, 0.5"})
    void expandsToTheExactBytesAndStoresOneBitPerZero(int elementBytes, int elements, double zeroFraction)
            throws IOException {
        SplittableRandom random = new SplittableRandom(elements);
        byte[] data = new byte[elements * elementBytes];
        long nonZero = 0;
        for (int e = 0; e < elements; e++) {
            if (random.nextDouble() >= zeroFraction) {
                for (int b = 0; b < elementBytes; b++) {
                    data[e * elementBytes + b] = (byte) random.nextInt(256);
                }
                data[e * elementBytes] |= 1;           // non-zero for sure
                nonZero++;
            }
        }
        Path export = Files.createDirectories(temp.resolve("export"));
        Files.write(export.resolve(DecoderIo.MODEL_FILE), new byte[] {1, 2, 3});
        Files.write(export.resolve(DecoderIo.EXTERNAL_DATA_FILE), data);
        CompressedWeights.compress(export.resolve(DecoderIo.EXTERNAL_DATA_FILE),
                export.resolve(DecoderIo.COMPRESSED_DATA_FILE), elementBytes);
        assertEquals(CompressedWeights.compressedSize(data.length, elementBytes, nonZero),
                Files.size(export.resolve(DecoderIo.COMPRESSED_DATA_FILE)));
        Path expanded = temp.resolve("expanded");
        CompressedWeights.expand(export, expanded);
        assertArrayEquals(data, Files.readAllBytes(expanded.resolve(DecoderIo.EXTERNAL_DATA_FILE)));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(expanded.resolve(DecoderIo.MODEL_FILE)));
    }

    @ParameterizedTest
    @CsvSource({"10", "25"})
    void aTruncatedFileIsAnErrorNamingIt(int keptBytes) throws IOException {
        Path export = Files.createDirectories(temp.resolve("export"));
        Files.write(export.resolve(DecoderIo.MODEL_FILE), new byte[] {0});
        byte[] data = new byte[4 * 200];
        Arrays.fill(data, (byte) 7);
        Files.write(export.resolve(DecoderIo.EXTERNAL_DATA_FILE), data);
        Path compressed = export.resolve(DecoderIo.COMPRESSED_DATA_FILE);
        CompressedWeights.compress(export.resolve(DecoderIo.EXTERNAL_DATA_FILE), compressed, 4);
        Files.write(compressed, Arrays.copyOf(Files.readAllBytes(compressed), keptBytes));
        IOException error = assertThrows(IOException.class, () -> CompressedWeights.expand(export, temp.resolve("x")));
        assertTrue(error.getMessage().contains(DecoderIo.COMPRESSED_DATA_FILE), error.getMessage());
    }
}
