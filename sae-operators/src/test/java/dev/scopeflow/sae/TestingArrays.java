package dev.scopeflow.sae;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.SplittableRandom;

/** Random inputs and code checks shared by the SAE, kernel and statistics tests. */
public final class TestingArrays {

    private TestingArrays() {}

    public static void assertFeaturesAscendAndPositive(SparseCodes codes) {
        for (int r = 0; r < codes.rows(); r++) {
            for (int k = codes.start(r); k < codes.end(r); k++) {
                assertThat(codes.value(k)).isPositive();
                if (k > codes.start(r)) {
                    assertThat(codes.feature(k)).isGreaterThan(codes.feature(k - 1));
                }
            }
        }
    }

    /** Multiples of 1/denominator in [-range, range]/denominator: sums of products stay exact in float32. */
    public static float[] dyadic(SplittableRandom random, int n, int range, int denominator) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextInt(-range, range + 1) / (float) denominator;
        }
        return out;
    }

    public static float[] gaussian(SplittableRandom random, int n, double scale) {
        java.util.Random r = new java.util.Random(random.nextLong());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * scale);
        }
        return out;
    }
}
