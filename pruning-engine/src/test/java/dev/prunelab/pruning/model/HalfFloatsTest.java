package dev.prunelab.pruning.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void everyF16PatternWidensAndNarrowsBackToItself() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float wide = HalfFloats.f16ToFloat((short) bits);
            if (Float.isNaN(wide)) {
                assertTrue((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0, "NaN only from NaN patterns");
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(wide))));
                continue;
            }
            assertEquals(bits, HalfFloats.floatToF16(wide) & 0xffff, "f16 pattern " + Integer.toHexString(bits));
        }
    }

    @Test
    void everyBf16PatternWidensAndNarrowsBackToItself() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float wide = HalfFloats.bf16ToFloat((short) bits);
            if (Float.isNaN(wide)) {
                continue;
            }
            assertEquals(bits, HalfFloats.floatToBf16(wide) & 0xffff, "bf16 pattern " + Integer.toHexString(bits));
        }
    }

    @Test
    void knownF16Values() {
        assertEquals(0x3c00, HalfFloats.floatToF16(1.0f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToF16(65504f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff, "halfway to 65536 rounds to even = inf");
        assertEquals(0x7bff, HalfFloats.floatToF16(65519.996f) & 0xffff);
        assertEquals(0x0001, HalfFloats.floatToF16(0x1p-24f) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToF16(0x1p-25f) & 0xffff, "tie between 0 and 2^-24 goes to 0");
        assertEquals(0x0002, HalfFloats.floatToF16(0x3p-25f) & 0xffff, "tie between 1 and 2 units goes to 2");
        assertEquals(0x8000, HalfFloats.floatToF16(-0.0f) & 0xffff);
        assertEquals(0x3c00, HalfFloats.floatToF16(1.0f + 0x1p-11f) & 0xffff, "tie at 1 + half ulp goes to even 1");
        assertEquals(0x3c02, HalfFloats.floatToF16(1.0f + 0x3p-11f) & 0xffff, "tie at 1 + 1.5 ulp goes to even");
        assertEquals(-2.0f, HalfFloats.f16ToFloat((short) 0xc000));
        assertEquals(0x1p-14f, HalfFloats.f16ToFloat((short) 0x0400));
    }

    /** Against a brute-force nearest-even search in double arithmetic over the sorted f16 values. */
    @Test
    void randomFloatsRoundToTheNearestF16AndBf16() {
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < 200_000; n++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (!Float.isFinite(value)) {
                continue;
            }
            short f16 = HalfFloats.floatToF16(value);
            checkNearest(value, HalfFloats.f16ToFloat(f16), f16,
                    HalfFloats.f16ToFloat((short) (f16 + 1)), HalfFloats.f16ToFloat((short) (f16 - 1)), 65520.0);
            short bf16 = HalfFloats.floatToBf16(value);
            checkNearest(value, HalfFloats.bf16ToFloat(bf16), bf16,
                    HalfFloats.bf16ToFloat((short) (bf16 + 1)), HalfFloats.bf16ToFloat((short) (bf16 - 1)),
                    0x1.ffp127);
        }
    }

    private static void checkNearest(float value, float rounded, short bits, float up, float down, double overflow) {
        if (Math.abs((double) value) >= overflow) {
            assertTrue(Float.isInfinite(rounded), value + " overflows");
            return;
        }
        double error = Math.abs((double) rounded - value);
        for (float neighbour : new float[] {up, down}) {
            if (Float.isNaN(neighbour) || Float.isInfinite(neighbour)) {
                continue;
            }
            double other = Math.abs((double) neighbour - value);
            assertTrue(error < other || (error == other && (bits & 1) == 0),
                    value + " -> " + rounded + " but " + neighbour + " is nearer or the even tie");
        }
    }
}
