package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.work.InputRoots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesTest {

    @Test
    void refusesAMissingModelTokenizerOrCalibrationNamingTheFieldAndTheRootRelativePath(@TempDir Path dir)
            throws Exception {
        InputFiles files = new InputFiles(InputRoots.of(dir.toString(), null, Optional.empty()));
        Path model = Files.writeString(dir.resolve("m.bin"), "x");
        files.check(new ModelRef(model.toString(), null), null, EvaluationSpec.defaults());
        files.check(new ModelRef(model.toUri().toString(), null), null, null);

        String missing = dir.resolve("nope.bin").toString();
        var e = assertThrows(InvalidSetting.class, () -> files.check(new ModelRef(missing, null), null, null));
        assertEquals("model.path: models:nope.bin does not exist", e.getMessage());
        assertEquals("model.tokenizer", assertThrows(InvalidSetting.class,
                () -> files.check(new ModelRef(model.toString(), missing), null, null)).field());
        assertEquals("calibration.text", assertThrows(InvalidSetting.class,
                () -> files.check(new ModelRef(model.toString(), null),
                        new CalibrationSpec(missing, null, null, null), null)).field());
    }

    @Test
    void aPathOutsideTheRootsIsRefusedAlikeWhetherOrNotItExists(@TempDir Path dir) {
        InputFiles files = new InputFiles(InputRoots.of(dir.toString(), null, Optional.empty()));
        String existing = assertThrows(InvalidSetting.class,
                () -> files.check(new ModelRef("/etc/passwd", null), null, null)).getMessage();
        String absent = assertThrows(InvalidSetting.class,
                () -> files.check(new ModelRef("/etc/no-such-file-here", null), null, null)).getMessage();
        assertEquals(existing, absent);
        assertEquals("model.path: is outside the directories this lab reads from (models)", existing);
    }
}
