package dev.prunelab.pruning.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.model.InMemoryTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrunedTensorsTest {
    @TempDir
    Path temp;

    @Test
    void aSpilledBlockIsReadFromItsFileUntilCloseDeletesIt() {
        InMemoryTensors model = new InMemoryTensors(temp.resolve("model"));
        model.put("layers.0.up.weight", new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        model.put("layers.1.up.weight", new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        model.put("embed.weight", new float[] {0.5f, 0.25f}, 1, 2);
        PrunedTensors pruned = new PrunedTensors(model);
        pruned.put("layers.0.up.weight", new float[] {1, 2, 5, 6}, 2, 2);
        pruned.put("layers.0.up.bias", new float[] {0.1f, -0.2f}, 2);
        Path block0 = temp.resolve(".out.structured-block-0.safetensors");
        pruned.spill(block0);
        assertTrue(Files.exists(block0));

        pruned.put("layers.1.up.weight", new float[] {7, 8}, 1, 2);
        Path block1 = temp.resolve(".out.structured-block-1.safetensors");
        pruned.spill(block1);
        pruned.spill(temp.resolve("nothing-since.safetensors"));
        assertFalse(Files.exists(temp.resolve("nothing-since.safetensors")), "nothing put since the last spill");

        assertArrayEquals(new float[] {1, 2, 5, 6}, pruned.readFloats("layers.0.up.weight"));
        assertArrayEquals(new long[] {2, 2}, pruned.info("layers.0.up.weight").shape());
        assertArrayEquals(new float[] {0.1f, -0.2f}, pruned.readFloats("layers.0.up.bias"));
        assertArrayEquals(new float[] {5, 6}, pruned.readRange("layers.0.up.weight", 2, 2));
        assertArrayEquals(new float[] {7, 8}, pruned.readFloats("layers.1.up.weight"));
        assertArrayEquals(new float[] {0.5f, 0.25f}, pruned.readFloats("embed.weight"), "the model's own");
        assertEquals(4, pruned.names().size());
        assertTrue(pruned.contains("layers.0.up.bias"));

        pruned.close();
        assertFalse(Files.exists(block0));
        assertFalse(Files.exists(block1));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, model.readFloats("layers.0.up.weight"), "the model is untouched");
    }
}
