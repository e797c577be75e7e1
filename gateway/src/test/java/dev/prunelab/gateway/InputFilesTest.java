package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.events.ModelRef;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesTest {

    @Test
    void refusesAMissingModelTokenizerOrCalibrationNamingTheFieldAndPath(@TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("m.bin"), "x");
        InputFiles.check(new ModelRef(model.toString(), null), null, EvaluationSpec.defaults());
        InputFiles.check(new ModelRef(model.toUri().toString(), null), null, null);

        String missing = dir.resolve("nope.bin").toString();
        var e = assertThrows(InvalidSetting.class,
                () -> InputFiles.check(new ModelRef(missing, null), null, null));
        assertEquals("model.path: " + missing + " does not exist on the gateway's filesystem", e.getMessage());
        assertEquals("model.tokenizer", assertThrows(InvalidSetting.class,
                () -> InputFiles.check(new ModelRef(model.toString(), missing), null, null)).field());
        assertEquals("calibration.text", assertThrows(InvalidSetting.class,
                () -> InputFiles.check(new ModelRef(model.toString(), null),
                        new CalibrationSpec(missing, null, null, null), null)).field());
    }
}
