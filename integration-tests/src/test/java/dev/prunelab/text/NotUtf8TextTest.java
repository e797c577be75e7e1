package dev.prunelab.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.cli.LabCli;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.pruning.job.PruneJob;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A text that is not UTF-8 is refused naming the byte, for calibration and for perplexity (no "Input length = 1"). */
class NotUtf8TextTest {

    @TempDir
    Path temp;

    private Path binaryText() throws Exception {
        byte[] bytes = new byte[1234 + 16];
        Arrays.fill(bytes, 0, 1234, (byte) 'a');
        byte[] tail = "\nOnce".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(tail, 0, bytes, 1000, tail.length);
        bytes[1234] = (byte) 0xFE;
        return Files.write(temp.resolve("binary.txt"), bytes);
    }

    @Test
    void calibrationText() throws Exception {
        Path model = SharedData.path("models/stories260K/stories260K.bin");
        Path text = binaryText();
        try (LoadedModel loaded = ModelLoader.open(model, Optional.empty())) {
            InvalidSetting e = assertThrows(InvalidSetting.class, () -> PruneJob.calibrationWindows(loaded, model,
                    new Calibration(text, 4, 32, 0), 32));
            System.out.println("refused: " + e.getMessage());
            assertEquals("calibration.text", e.field());
            assertEquals("calibration.text: not UTF-8 at byte 1234 (" + text + ")", e.getMessage());
        }
    }

    @Test
    void perplexityTextThroughTheCli() throws Exception {
        Path exported = ExportedStories260K.exportTo(temp.resolve("stories"));
        Path text = binaryText();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = LabCli.run("eval", "--model", exported.toString(), "--perplexity", text.toString(), "--window", "64",
                    "--max-windows", "2", "--threads", "1");
        } finally {
            System.setErr(before);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        System.out.println("refused: " + message);
        assertEquals(2, code, message);
        assertTrue(message.contains("--perplexity: not UTF-8 at byte 1234 (" + text + ")"), message);
        assertFalse(message.contains("Input length"), message);
    }
}
