package dev.scopeflow.sae.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.TestingArrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The feature-major decode against the dense reference on Gaussian values, where float sums depend on their order:
 * equal bits mean every token still adds its features in ascending order and the bias last.
 */
class SparseDecoderTest {

    @ParameterizedTest(name = "d_in {0}, d_sae {1}, rows {2}, density {3}")
    @CsvSource({"1,1,1,1.0", "37,101,64,0.3", "130,257,33,0.05", "301,1021,19,0.9", "5,3,200,0.5"})
    void decodeEqualsTheReferenceBitForBitOnGaussianValues(int dIn, int dSae, int rows, double density) {
        SplittableRandom random = new SplittableRandom(dIn * 17L + dSae + rows);
        float[] wDec = TestingArrays.gaussian(random, dSae * dIn, 1);
        float[] bDec = TestingArrays.gaussian(random, dIn, 1);
        float[] dense = new float[rows * dSae];
        for (int i = 0; i < dense.length; i++) {
            if (random.nextDouble() < density) {
                dense[i] = (float) (0.01 + random.nextDouble() * 5); // features shared by many rows
            }
        }
        SparseCodes codes = SparseCodes.fromDense(dense, rows, dSae);

        float[] decoded = new SparseDecoder(wDec, bDec, dSae, dIn).decode(codes);

        NumpyFixtures.assertSameBits(decoded, ReferenceEncoder.decode(codes, wDec, bDec, dIn), "decode");
        assertThat(decoded).hasSize(rows * dIn);
    }
}
