package dev.scopeflow.schemas.format;

/**
 * The 16-bit floats of our file and wire formats, to and from float32 (Java 17 has no Float.float16ToFloat).
 * A bf16 value is the upper 16 bits of a float32 (sign, 8-bit exponent, 7-bit mantissa), so widening is exact
 * and narrowing only has to round the dropped 16 bits. IEEE binary16 (numpy {@code f2}, safetensors {@code F16})
 * widens exactly too, subnormals, infinities and NaN included.
 */
public final class HalfFloats {

    private HalfFloats() {}

    /**
     * Narrows to bf16 bits with round-to-nearest, ties to even (what PyTorch's {@code .to(torch.bfloat16)}
     * does). Finite values past the largest bf16 round to infinity; NaN stays NaN (quiet, sign kept).
     */
    public static short floatToBf16(float value) {
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
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /** The float32 nearest to {@code value} that bf16 can represent: {@code bf16ToFloat(floatToBf16(value))}. */
    public static float roundToBf16(float value) {
        return bf16ToFloat(floatToBf16(value));
    }

    /** Widens IEEE 754 binary16 bits to the float32 they denote (exact). */
    public static float f16ToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13)); // Inf or NaN
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float32
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
