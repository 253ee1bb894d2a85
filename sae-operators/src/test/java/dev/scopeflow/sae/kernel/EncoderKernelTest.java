package dev.scopeflow.sae.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.sae.TestingArrays;
import dev.scopeflow.sae.model.JumpReluSae;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every backend against the textbook loops, on odd sizes and row counts that cross block boundaries. */
class EncoderKernelTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 1021;

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void gaussianPreActivationsMatchTheReferenceToFloatRounding(MatmulBackend backend) {
        SplittableRandom random = new SplittableRandom(7);
        int rows = 1100; // > TorchMatmul.MAX_ROWS and not a multiple of BlockedMatmul.ROW_BLOCK
        float[] w = TestingArrays.gaussian(random, D_IN * D_SAE, 1);
        float[] bias = TestingArrays.gaussian(random, D_SAE, 1);
        float[] x = TestingArrays.gaussian(random, rows * D_IN, 1);
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
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void jumpReluCodesAreIdenticalToTheReferenceOnDyadicValues(MatmulBackend backend) {
        // dyadic values: every partial sum is exact, so any summation order gives the same bits
        SplittableRandom random = new SplittableRandom(11);
        int rows = 1063;
        float[] wEnc = TestingArrays.dyadic(random, D_IN * D_SAE, 8, 16);
        float[] bEnc = TestingArrays.dyadic(random, D_SAE, 4, 8);
        float[] threshold = TestingArrays.dyadic(random, D_SAE, 4, 8);
        for (int j = 0; j < D_SAE; j++) threshold[j] = Math.abs(threshold[j]);
        float[] wDec = TestingArrays.dyadic(random, D_SAE * D_IN, 16, 64);
        float[] bDec = TestingArrays.dyadic(random, D_IN, 4, 8);
        float[] x = TestingArrays.dyadic(random, rows * D_IN, 2, 2);
        try (JumpReluSae sae = JumpReluSae.builder(D_IN, D_SAE)
                .optBackend(backend)
                .setWEnc(wEnc.clone())
                .setBEnc(bEnc.clone())
                .setThreshold(threshold.clone())
                .setWDec(wDec.clone())
                .setBDec(bDec.clone())
                .build()) {
            SparseCodes codes = sae.encode(x, rows);
            assertThat(codes.nnz()).isPositive();
            assertThat(codes).isEqualTo(ReferenceEncoder.encodeJumpRelu(x, rows, wEnc, bEnc, threshold, D_IN, D_SAE));
        }
    }

    static Stream<Arguments> backendsAndOddSizes() {
        // d_in, d_out, rows: single entries, rows past TorchMatmul.MAX_ROWS and BlockedMatmul.ROW_BLOCK, widths
        // off the 256-column panels
        int[][] sizes = {{1, 1, 1}, {3, 1, 1300}, {37, 1021, 1100}, {130, 127, 257}, {5, 129, 17}, {64, 257, 33}};
        return Stream.of(MatmulBackend.JAVA, MatmulBackend.TORCH)
                .flatMap(backend -> Stream.of(sizes).map(size -> Arguments.of(backend, size[0], size[1], size[2])));
    }

    @ParameterizedTest(name = "{0}: d_in {1}, d_out {2}, rows {3}")
    @MethodSource("backendsAndOddSizes")
    void appendAboveKeepsExactlyTheReferenceEntriesAboveTheFloor(MatmulBackend backend, int dIn, int dOut, int rows) {
        // dyadic values on one grid: sums are exact in any order, and pre == floor ties occur (must stay out)
        SplittableRandom random = new SplittableRandom(dIn * 31L + dOut * 7L + rows);
        float[] w = TestingArrays.dyadic(random, dIn * dOut, 8, 16);
        float[] bias = TestingArrays.dyadic(random, dOut, 4, 16);
        float[] floor = TestingArrays.dyadic(random, dOut, 4, 16);
        for (int j = 0; j < dOut; j++) floor[j] = Math.max(floor[j], 0f); // half the features: ReLU's floor 0
        float[] x = TestingArrays.dyadic(random, rows * dIn, 2, 2);
        java.util.Arrays.fill(x, 0, dIn, 0f); // row 0: pre == bias, so pre == 0 == floor happens too

        SparseCodes expected = aboveFloor(ReferenceEncoder.preActivations(x, rows, w, bias, dIn, dOut), rows, floor);
        try (EncoderKernel kernel = backend.create(w, bias, dIn, dOut)) {
            SparseCodes actual = appendAbove(kernel, x, rows, floor);
            assertThat(actual).isEqualTo(expected);
            assertThat(actual.rows()).isEqualTo(rows);
        }
        if (rows * dOut >= 300) {
            assertThat(expected.nnz()).as("the comparison is not vacuous").isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void appendAboveKeepsTheBitsMultiplyComputes(MatmulBackend backend) {
        // Gaussian: sums are rounded, so compare with the same kernel's dense output, bit for bit
        SplittableRandom random = new SplittableRandom(3);
        int rows = 1100;
        float[] w = TestingArrays.gaussian(random, D_IN * D_SAE, 1);
        float[] bias = TestingArrays.gaussian(random, D_SAE, 1);
        float[] floor = TestingArrays.gaussian(random, D_SAE, 4);
        for (int j = 0; j < D_SAE; j++) floor[j] = Math.abs(floor[j]);
        float[] x = TestingArrays.gaussian(random, rows * D_IN, 1);
        try (EncoderKernel kernel = backend.create(w, bias, D_IN, D_SAE)) {
            SparseCodes expected = aboveFloor(preActivations(kernel, x, rows), rows, floor);
            assertThat(appendAbove(kernel, x, rows, floor)).isEqualTo(expected);
            assertThat(expected.nnz()).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void appendAboveEndsEveryRowWhenNothingIsActive(MatmulBackend backend) {
        float[] floor = new float[D_SAE];
        java.util.Arrays.fill(floor, Float.MAX_VALUE);
        int rows = 1030;
        try (EncoderKernel kernel = backend.create(new float[D_IN * D_SAE], new float[D_SAE], D_IN, D_SAE)) {
            SparseCodes codes = appendAbove(kernel, new float[rows * D_IN], rows, floor);
            assertThat(codes.rows()).isEqualTo(rows);
            assertThat(codes.nnz()).isZero();
        }
    }

    static Stream<Arguments> backendsSizesAndK() {
        // d_in, d_out, rows, k: k = 1 and k = d_out, rows past both kernels' blocks
        int[][] cases = {{1, 1, 1, 1}, {37, 1021, 1100, 32}, {5, 129, 17, 129}, {64, 257, 3, 1}, {130, 127, 1030, 5}};
        return Stream.of(MatmulBackend.JAVA, MatmulBackend.TORCH)
                .flatMap(backend -> Stream.of(cases).map(c -> Arguments.of(backend, c[0], c[1], c[2], c[3])));
    }

    @ParameterizedTest(name = "{0}: d_in {1}, d_out {2}, rows {3}, k {4}")
    @MethodSource("backendsSizesAndK")
    void appendTopKEqualsTheReferenceWithTiesToTheLowerFeature(
            MatmulBackend backend, int dIn, int dOut, int rows, int k) {
        // coarse dyadic values: exact sums with many ties at the k-th value, and negative pre-activations
        SplittableRandom random = new SplittableRandom(dIn * 131L + dOut + rows + k);
        float[] w = TestingArrays.dyadic(random, dIn * dOut, 4, 8);
        float[] bias = TestingArrays.dyadic(random, dOut, 4, 8);
        float[] x = TestingArrays.dyadic(random, rows * dIn, 2, 2);
        SparseCodes expected = ReferenceEncoder.encodeTopK(x, rows, w, bias, k, dIn, dOut);
        try (EncoderKernel kernel = backend.create(w, bias, dIn, dOut)) {
            SparseCodes.Builder codes = SparseCodes.builder(dOut);
            for (int r0 = 0; r0 < rows; r0 += kernel.maxRows()) {
                kernel.appendTopK(x, r0, Math.min(kernel.maxRows(), rows - r0), k, codes);
            }
            assertThat(codes.build()).isEqualTo(expected);
        }
    }

    /** The textbook selection: entries strictly above the floor, scanned in order. */
    private static SparseCodes aboveFloor(float[] pre, int rows, float[] floor) {
        int dOut = floor.length;
        SparseCodes.Builder codes = SparseCodes.builder(dOut);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dOut; j++) {
                if (pre[r * dOut + j] > floor[j]) codes.add(j, pre[r * dOut + j]);
            }
            codes.endRow();
        }
        return codes.build();
    }

    private static SparseCodes appendAbove(EncoderKernel kernel, float[] x, int rows, float[] floor) {
        SparseCodes.Builder codes = SparseCodes.builder(kernel.dOut());
        for (int r0 = 0; r0 < rows; r0 += kernel.maxRows()) {
            kernel.appendAbove(x, r0, Math.min(kernel.maxRows(), rows - r0), floor, codes);
        }
        return codes.build();
    }

    /**
     * A row's pre-activations are the same bits whatever other rows share its call: the job encodes several Kafka
     * records in one call, a replayed record must yield the rows it yielded the first time, and {@code stats}
     * (one sequence a call) must equal the job. MKL's sgemm computes a row differently in a call of 1 to 3 rows
     * (measured here at 2304 x 16384 and at this test's shape), which {@code TorchMatmul} pads away.
     */
    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void aRowsPreActivationsDoNotDependOnTheOtherRowsOfItsCall(MatmulBackend backend) {
        int dIn = 576;
        int dOut = 2048;
        int rows = 64;
        SplittableRandom random = new SplittableRandom(13);
        float[] w = TestingArrays.gaussian(random, dIn * dOut, 0.05);
        float[] bias = TestingArrays.gaussian(random, dOut, 1);
        float[] x = TestingArrays.gaussian(random, rows * dIn, 1);
        try (EncoderKernel kernel = backend.create(w, bias, dIn, dOut)) {
            float[] all = preActivations(kernel, x, 0, rows, dOut);
            int[][] calls = {{0, 1}, {5, 1}, {1, 2}, {7, 3}, {10, 4}, {20, 5}, {30, 16}, {3, 61}};
            for (int[] call : calls) {
                float[] part = preActivations(kernel, x, call[0], call[1], dOut);
                for (int i = 0; i < part.length; i++) {
                    assertThat(Float.floatToRawIntBits(part[i]))
                            .as("%s, rows %d..%d alone, value %d", backend, call[0], call[0] + call[1], i)
                            .isEqualTo(Float.floatToRawIntBits(all[call[0] * dOut + i]));
                }
            }
        }
    }

    private static float[] preActivations(EncoderKernel kernel, float[] x, int rows) {
        return preActivations(kernel, x, 0, rows, D_SAE);
    }

    /** Rows {@code [firstRow, firstRow + rows)} of x times the kernel's weights, in calls of its maximum rows. */
    private static float[] preActivations(EncoderKernel kernel, float[] x, int firstRow, int rows, int dOut) {
        float[] out = new float[rows * dOut];
        float[] block = new float[kernel.maxRows() * dOut];
        for (int r0 = 0; r0 < rows; r0 += kernel.maxRows()) {
            int n = Math.min(kernel.maxRows(), rows - r0);
            kernel.multiply(x, firstRow + r0, n, block);
            System.arraycopy(block, 0, out, r0 * dOut, n * dOut);
        }
        return out;
    }
}
