package dev.scopeflow.schemas.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** 2^128: where rounding with an unbounded exponent would land just past the largest bf16. */
    private static final BigDecimal OVERFLOW_THRESHOLD = new BigDecimal(2).pow(128);

    /**
     * Independent reference: the two bf16 values bracketing x (truncation toward zero and the next one away
     * from zero), compared exactly in BigDecimal, ties to the even mantissa.
     */
    private static short reference(float x) {
        int bits = Float.floatToRawIntBits(x);
        short toward = (short) (bits >>> 16);
        short away = (short) (toward + 1);
        if ((bits & 0xFFFF) == 0) {
            return toward;
        }
        BigDecimal exact = new BigDecimal(x).abs();
        BigDecimal low = new BigDecimal(HalfFloats.bf16ToFloat(toward)).abs();
        float awayValue = HalfFloats.bf16ToFloat(away);
        BigDecimal high = Float.isInfinite(awayValue) ? OVERFLOW_THRESHOLD : new BigDecimal(awayValue).abs();
        int cmp = exact.subtract(low).compareTo(high.subtract(exact));
        if (cmp < 0) {
            return toward;
        }
        if (cmp > 0) {
            return away;
        }
        return (toward & 1) == 0 ? toward : away;
    }

    @Test
    void matchesExactRoundingOnRandomBitPatterns() {
        SplittableRandom random = new SplittableRandom(20240611);
        int checked = 0;
        while (checked < 500_000) {
            float x = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(x)) {
                continue;
            }
            assertThat(HalfFloats.floatToBf16(x))
                    .as("bits %08x", Float.floatToRawIntBits(x))
                    .isEqualTo(reference(x));
            checked++;
        }
    }

    @Test
    void matchesExactRoundingOnTiesAndNearTies() {
        SplittableRandom random = new SplittableRandom(7);
        int[] lowHalves = {0x8000, 0x7FFF, 0x8001, 0x0001, 0xFFFF};
        for (int i = 0; i < 100_000; i++) {
            int high = random.nextInt(0x10000) << 16;
            for (int low : lowHalves) {
                float x = Float.intBitsToFloat(high | low);
                if (!Float.isNaN(x)) {
                    assertThat(HalfFloats.floatToBf16(x))
                            .as("bits %08x", high | low)
                            .isEqualTo(reference(x));
                }
            }
        }
    }

    @Test
    void tiesGoToEven() {
        // 1 + 2^-8 lies halfway between 1 (even mantissa) and 1 + 2^-7 (odd): rounds down.
        assertThat(HalfFloats.roundToBf16(1f + 0x1p-8f)).isEqualTo(1f);
        // 1 + 3*2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        assertThat(HalfFloats.roundToBf16(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
    }

    @Test
    void specialValues() {
        assertThat(HalfFloats.roundToBf16(0f)).isEqualTo(0f);
        assertThat(Float.floatToRawIntBits(HalfFloats.roundToBf16(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(HalfFloats.roundToBf16(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.roundToBf16(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(HalfFloats.roundToBf16(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.roundToBf16(Float.MIN_VALUE)).isEqualTo(0f);
        assertThat(HalfFloats.floatToBf16(1f)).isEqualTo((short) 0x3F80);
        assertThat(HalfFloats.bf16ToFloat((short) 0xC000)).isEqualTo(-2f);
    }

    @Test
    void nanStaysNanEvenWhenOnlyLowMantissaBitsAreSet() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7F80FFFF}) {
            float nan = Float.intBitsToFloat(bits);
            assertThat(Float.isNaN(HalfFloats.roundToBf16(nan)))
                    .as("bits %08x", bits)
                    .isTrue();
            assertThat(HalfFloats.floatToBf16(nan) < 0).as("sign of %08x", bits).isEqualTo(bits < 0);
        }
    }

    @Test
    void widensExactlyAndRoundIsIdempotent() {
        for (int b = 0; b < 0x10000; b++) {
            float widened = HalfFloats.bf16ToFloat((short) b);
            if (!Float.isNaN(widened)) {
                assertThat(HalfFloats.floatToBf16(widened)).isEqualTo((short) b);
                assertThat(HalfFloats.roundToBf16(widened)).isEqualTo(widened);
            }
        }
    }

    @Test
    void widensEveryF16BitPatternLikeTheIeeeFormula() {
        for (int b = 0; b < 0x10000; b++) {
            int exponent = (b >>> 10) & 0x1F;
            int mantissa = b & 0x3FF;
            double sign = (b & 0x8000) != 0 ? -1 : 1;
            float actual = HalfFloats.f16ToFloat((short) b);
            if (exponent == 0x1F) {
                assertThat(mantissa == 0 ? actual == sign * Double.POSITIVE_INFINITY : Float.isNaN(actual))
                        .as("bits %04x", b)
                        .isTrue();
                continue;
            }
            double expected = exponent == 0
                    ? sign * Math.scalb((double) mantissa, -24)
                    : sign * Math.scalb(1 + mantissa / 1024.0, exponent - 15);
            assertThat(Float.floatToRawIntBits(actual)).as("bits %04x", b).isEqualTo(Float.floatToRawIntBits((float)
                    expected));
        }
        assertThat(HalfFloats.f16ToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(HalfFloats.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
    }
}
