package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The vocabulary's methods and the engine's agree both ways; DSnoT and the weight width are checked up front. */
class PruneRequestWordsTest {

    @Test
    void everyUnstructuredWordHasItsMethodAndBack() {
        for (PruneMethod word : PruneMethod.values()) {
            if (word.isStructured()) {
                continue;
            }
            assertEquals(word, PruneRequest.method(word).word(), word.id());
        }
    }

    @Test
    void dsnotNeedsCalibrationEvenAfterMagnitude() {
        Calibration calibration = new Calibration(Path.of("text"), 4, 32, 0);
        PruneRequest plain = new PruneRequest(PruneRequest.method(PruneMethod.MAGNITUDE),
                new SparsityPattern.Unstructured(0.5), LayerSparsity.UNIFORM, calibration, WeightDtype.FLOAT32, 1);
        assertFalse(plain.needsCalibration());
        assertEquals(MaskRefinement.NONE, plain.refinement());
        assertEquals(LinearQuantization.FLOAT, plain.quantization());
        PruneRequest refined = new PruneRequest(plain.method(), plain.pattern(), plain.layerSparsity(), calibration,
                WeightDtype.FLOAT32, 1, false, MaskRefinement.DSNOT, LinearQuantization.int4(32), null);
        assertTrue(refined.needsCalibration());
    }

    @Test
    void weightWidthsNameTheirField() {
        assertEquals(WeightBits.FIELD, assertThrows(InvalidSetting.class,
                () -> LinearQuantization.of(8, null)).field());
        assertEquals(WeightBits.BLOCK_FIELD, assertThrows(InvalidSetting.class,
                () -> LinearQuantization.of(4, 48)).field());
        assertEquals(WeightBits.BLOCK_FIELD, assertThrows(InvalidSetting.class,
                () -> LinearQuantization.of(null, 32)).field());
        assertEquals(LinearQuantization.FLOAT, LinearQuantization.of(32, null));
        assertEquals(new LinearQuantization(4, 64, 4), LinearQuantization.of(4, 64));
    }
}
