package dev.prunelab.pruning.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightQuantizer;
import org.junit.jupiter.api.Test;

/** The weightQuantizer field: its default, its words, and the settings it refuses with a one-line message. */
class WeightQuantizerRulesTest {

    @Test
    void absentIsSymmetricRoundToNearestAsBefore() {
        assertEquals(LinearQuantization.of(4, 32), LinearQuantization.of(4, 32, null));
        assertEquals(WeightQuantizer.RTN_SYMMETRIC, LinearQuantization.of(4, null).quantizer());
        assertTrue(LinearQuantization.of(4, null).quantizer().symmetric());
        LinearQuantization asymmetric = LinearQuantization.of(4, 64, WeightQuantizer.of("rtn-asymmetric"))
                .withAccuracyLevel(0);
        assertEquals(WeightQuantizer.RTN_ASYMMETRIC, asymmetric.quantizer());
        assertEquals(64, asymmetric.blockSize());
        assertFalse(asymmetric.quantizer().symmetric());
        assertEquals("rtn", asymmetric.quantizer().rounding());
    }

    @Test
    void refusesAnUnknownNameAndAQuantizerForFloatWeights() {
        InvalidSetting unknown = assertThrows(InvalidSetting.class, () -> WeightQuantizer.of("awq"));
        assertTrue(unknown.getMessage().contains("unknown weight quantizer 'awq'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("rtn-symmetric|rtn-asymmetric"), unknown.getMessage());
        InvalidSetting forFloat = assertThrows(InvalidSetting.class,
                () -> LinearQuantization.of(null, null, WeightQuantizer.RTN_ASYMMETRIC));
        assertEquals(WeightQuantizer.FIELD, forFloat.field());
        assertFalse(forFloat.getMessage().contains("\n"));
    }
}
