package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class Bf16Test {

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
        BigDecimal low = new BigDecimal(Bf16.toFloat(toward)).abs();
        float awayValue = Bf16.toFloat(away);
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
            assertThat(Bf16.fromFloat(x)).as("bits %08x", Float.floatToRawIntBits(x)).isEqualTo(reference(x));
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
                    assertThat(Bf16.fromFloat(x)).as("bits %08x", high | low).isEqualTo(reference(x));
                }
            }
        }
    }

    @Test
    void tiesGoToEven() {
        // 1 + 2^-8 lies halfway between 1 (even mantissa) and 1 + 2^-7 (odd): rounds down.
        assertThat(Bf16.round(1f + 0x1p-8f)).isEqualTo(1f);
        // 1 + 3*2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        assertThat(Bf16.round(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
    }

    @Test
    void specialValues() {
        assertThat(Bf16.round(0f)).isEqualTo(0f);
        assertThat(Float.floatToRawIntBits(Bf16.round(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(Bf16.round(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Bf16.round(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Bf16.round(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Bf16.round(Float.MIN_VALUE)).isEqualTo(0f);
        assertThat(Bf16.fromFloat(1f)).isEqualTo((short) 0x3F80);
        assertThat(Bf16.toFloat((short) 0xC000)).isEqualTo(-2f);
    }

    @Test
    void nanStaysNanEvenWhenOnlyLowMantissaBitsAreSet() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7F80FFFF}) {
            float nan = Float.intBitsToFloat(bits);
            assertThat(Float.isNaN(Bf16.round(nan))).as("bits %08x", bits).isTrue();
            assertThat(Bf16.fromFloat(nan) < 0).as("sign of %08x", bits).isEqualTo(bits < 0);
        }
    }

    @Test
    void widensExactlyAndRoundIsIdempotent() {
        for (int b = 0; b < 0x10000; b++) {
            float widened = Bf16.toFloat((short) b);
            if (!Float.isNaN(widened)) {
                assertThat(Bf16.fromFloat(widened)).isEqualTo((short) b);
                assertThat(Bf16.round(widened)).isEqualTo(widened);
            }
        }
    }
}
