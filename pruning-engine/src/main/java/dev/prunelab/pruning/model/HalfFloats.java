package dev.prunelab.pruning.model;

/**
 * Exact conversions between float32 and the two 16-bit float formats safetensors stores. Java 17 has no
 * {@code Float.float16ToFloat}, so the bit manipulation is done here. Widening is exact; narrowing rounds to
 * nearest, ties to even, as PyTorch's {@code tensor.half()} / {@code tensor.bfloat16()} do.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** IEEE 754 binary16 bits to float32; every value (subnormals, infinities, NaN payloads) is exact. */
    public static float f16ToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Subnormal: mantissa * 2^-24, exact in float32 because the mantissa has only 10 bits.
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** float32 to binary16, round to nearest even; values from 65520 up become infinity, NaN stays NaN. */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            // Keep NaN a NaN even when the payload's top bits are zero: set the quiet bit.
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {
            // 65520 is halfway between 65504 (odd mantissa) and 65536, so ties-to-even overflows too.
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {
            int half = (((abs >>> 23) - 112) << 10) | ((abs >>> 13) & 0x3ff);
            int rest = abs & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
                half++; // a carry out of the mantissa correctly bumps the exponent
            }
            return (short) (sign | half);
        }
        int exponent = abs >>> 23;
        if (exponent < 102) {
            return (short) sign; // below half of the smallest subnormal 2^-24
        }
        int mantissa = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exponent; // 14..24: the value in units of 2^-24 is mantissa >> shift
        int half = mantissa >>> shift;
        int rest = mantissa & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /** bfloat16 bits to float32: the top half of a float32, so widening is a shift. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** float32 to bfloat16, round to nearest even; overflow becomes infinity, NaN stays NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
