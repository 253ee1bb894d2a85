package dev.scopeflow.schemas;

/**
 * bfloat16 conversions: a bf16 value is the upper 16 bits of a float32 (sign, 8-bit exponent, 7-bit
 * mantissa), so widening is exact and narrowing only has to round the dropped 16 bits.
 */
public final class Bf16 {

    private Bf16() {
    }

    /**
     * Narrows to bf16 bits with round-to-nearest, ties to even (what PyTorch's {@code .to(torch.bfloat16)}
     * does). Finite values past the largest bf16 round to infinity; NaN stays NaN (quiet, sign kept).
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            // Truncating could drop every set mantissa bit and turn NaN into infinity: force the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF rounds up exactly when the dropped half is > 0x8000, or == 0x8000 and the kept
        // lowest bit is odd; a carry into the exponent is the correct result (including overflow to inf).
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Widens bf16 bits to the float32 they denote (exact). */
    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /** The float32 nearest to {@code value} that bf16 can represent: {@code toFloat(fromFloat(value))}. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
