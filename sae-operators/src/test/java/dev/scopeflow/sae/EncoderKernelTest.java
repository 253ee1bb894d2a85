package dev.scopeflow.sae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every backend against the textbook loops, on odd sizes and row counts that cross block boundaries. */
class EncoderKernelTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 1021;

    @ParameterizedTest
    @EnumSource(MatmulBackend.class)
    void gaussianPreActivationsMatchTheReferenceToFloatRounding(MatmulBackend backend) {
        SplittableRandom random = new SplittableRandom(7);
        int rows = 301; // > TorchMatmul.MAX_ROWS and not a multiple of BlockedMatmul.ROW_BLOCK
        float[] w = JumpReluSaeTest.gaussian(random, D_IN * D_SAE, 1);
        float[] bias = JumpReluSaeTest.gaussian(random, D_SAE, 1);
        float[] x = JumpReluSaeTest.gaussian(random, rows * D_IN, 1);
        float[] expected = ReferenceEncoder.preActivations(x, rows, w, bias, D_IN, D_SAE);
        try (EncoderKernel kernel = backend.create(w, bias, D_IN, D_SAE)) {
            float[] actual = preActivations(kernel, x, rows);
            for (int i = 0; i < expected.length; i++) {
                // |sum| of 37 products of N(0,1) terms: float error far below 1e-4
                assertThat(actual[i]).as("pre[%d]", i).isCloseTo(expected[i], within(1e-4f));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(MatmulBackend.class)
    void jumpReluCodesAreIdenticalToTheReferenceOnDyadicValues(MatmulBackend backend) {
        // dyadic values: every partial sum is exact, so any summation order gives the same bits
        SplittableRandom random = new SplittableRandom(11);
        int rows = 263;
        float[] wEnc = JumpReluSaeTest.dyadic(random, D_IN * D_SAE, 8, 16);
        float[] bEnc = JumpReluSaeTest.dyadic(random, D_SAE, 4, 8);
        float[] threshold = JumpReluSaeTest.dyadic(random, D_SAE, 4, 8);
        for (int j = 0; j < D_SAE; j++) threshold[j] = Math.abs(threshold[j]);
        float[] wDec = JumpReluSaeTest.dyadic(random, D_SAE * D_IN, 16, 64);
        float[] bDec = JumpReluSaeTest.dyadic(random, D_IN, 4, 8);
        float[] x = JumpReluSaeTest.dyadic(random, rows * D_IN, 2, 2);
        try (JumpReluSae sae = JumpReluSae.builder(D_IN, D_SAE).optBackend(backend).setWEnc(wEnc.clone())
                .setBEnc(bEnc.clone()).setThreshold(threshold.clone()).setWDec(wDec.clone()).setBDec(bDec.clone())
                .build()) {
            SparseCodes codes = sae.encode(x, rows);
            assertThat(codes.nnz()).isPositive();
            assertThat(codes).isEqualTo(ReferenceEncoder.encodeJumpRelu(x, rows, wEnc, bEnc, threshold, D_IN, D_SAE));
        }
    }

    private static float[] preActivations(EncoderKernel kernel, float[] x, int rows) {
        float[] out = new float[rows * D_SAE];
        float[] block = new float[kernel.maxRows() * D_SAE];
        for (int r0 = 0; r0 < rows; r0 += kernel.maxRows()) {
            int n = Math.min(kernel.maxRows(), rows - r0);
            kernel.multiply(x, r0, n, block);
            System.arraycopy(block, 0, out, r0 * D_SAE, n * D_SAE);
        }
        return out;
    }
}
