package dev.scopeflow.sae.model;

import static dev.scopeflow.sae.NumpyFixtures.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.TestingArrays;
import dev.scopeflow.sae.kernel.ReferenceEncoder;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.schemas.format.FileFormatException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JumpReluSaeTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 1021;
    private static final int ROWS = 33;

    @TempDir
    static Path dir;

    static Path exact;
    static Path gauss;
    static Path bad;

    @BeforeAll
    static void writeFixtures() throws Exception {
        exact = NumpyFixtures.generate(dir.resolve("exact"), "sae", 11, D_IN, D_SAE, ROWS, "exact");
        gauss = NumpyFixtures.generate(dir.resolve("gauss"), "sae", 12, D_IN, D_SAE, ROWS, "gauss");
        bad = NumpyFixtures.generate(dir.resolve("bad"), "bad");
    }

    @ParameterizedTest
    @ValueSource(strings = {"params.npz", "params_fortran.npz", "params_compressed.npz"})
    void gemmaScopeEncodeAndDecodeMatchNumpyExactly(String file) throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(exact.resolve(file));
        assertThat(sae.dIn()).isEqualTo(D_IN);
        assertThat(sae.dSae()).isEqualTo(D_SAE);

        SparseCodes codes = sae.encode(f32(exact.resolve("x.f32")), ROWS);

        // dyadic fixture: every sum is exact, so encode must agree bit for bit, ties pre == threshold included
        NumpyFixtures.assertSameBits(codes.toDense(), f32(exact.resolve("acts.f32")), "acts");
        TestingArrays.assertFeaturesAscendAndPositive(codes);
        NumpyFixtures.assertSameBits(sae.decode(codes), f32(exact.resolve("recon.f32")), "recon");
    }

    @Test
    void exactFixtureReallyExercisesBothBoundaries() throws Exception {
        String meta = java.nio.file.Files.readString(exact.resolve("meta.json"));
        // ties (pre == threshold > 0, inactive) and the band threshold < pre <= 0 (inactive) both occur
        assertThat(meta).doesNotContain("\"ties\": 0,").doesNotContain("\"negative_band\": 0}");
    }

    @Test
    void gaussianEncodeMatchesNumpyWithinTolerance() throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(gauss.resolve("params.npz"));
        SparseCodes codes = sae.encode(f32(gauss.resolve("x.f32")), ROWS);
        float[] expected = f32(gauss.resolve("acts.f32"));
        float[] actual = codes.toDense();
        for (int i = 0; i < expected.length; i++) {
            // fixture keeps every pre-activation far from its threshold and from 0: the active set is exact
            assertThat(actual[i] > 0).as("active[%d]", i).isEqualTo(expected[i] > 0);
        }
        NumpyFixtures.assertClose(actual, expected, 1e-5, 1.0, "acts");
        NumpyFixtures.assertClose(sae.decode(codes), f32(gauss.resolve("recon.f32")), 1e-5, 1.0, "recon");
    }

    @Test
    void fastEncodeEqualsReferenceForEveryRowCount() throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(exact.resolve("params.npz"));
        float[] x = f32(exact.resolve("x.f32"));
        float[] wEnc = f32(exact.resolve("w_enc.f32"));
        float[] bEnc = f32(exact.resolve("b_enc.f32"));
        float[] threshold = f32(exact.resolve("threshold.f32"));
        float[] wDec = f32(exact.resolve("w_dec.f32"));
        float[] bDec = f32(exact.resolve("b_dec.f32"));
        for (int rows = 0; rows <= ROWS; rows++) {
            float[] head = Arrays.copyOf(x, rows * D_IN);
            SparseCodes fast = sae.encode(head, rows);
            SparseCodes reference = ReferenceEncoder.encodeJumpRelu(head, rows, wEnc, bEnc, threshold, D_IN, D_SAE);
            assertThat(fast).as("rows %d", rows).isEqualTo(reference);
            NumpyFixtures.assertSameBits(
                    sae.decode(fast), ReferenceEncoder.decode(reference, wDec, bDec, D_IN), "decode");
        }
    }

    @ParameterizedTest(name = "d_in {0}, d_sae {1}, rows {2}")
    @CsvSource({"1,1,1", "1,129,17", "37,1021,33", "130,127,5", "5,128,16", "64,257,32", "3,1,40"})
    void fastEncodeEqualsReferenceOnOddSizes(int dIn, int dSae, int rows) {
        SplittableRandom random = new SplittableRandom(dIn * 31L + dSae * 7L + rows);
        float[] wEnc = TestingArrays.dyadic(random, dIn * dSae, 16, 64);
        float[] bEnc = TestingArrays.dyadic(random, dSae, 32, 64);
        float[] threshold = TestingArrays.dyadic(random, dSae, 24, 64);
        float[] wDec = TestingArrays.dyadic(random, dSae * dIn, 16, 64);
        float[] bDec = TestingArrays.dyadic(random, dIn, 16, 64);
        float[] x = TestingArrays.dyadic(random, rows * dIn, 8, 8);
        JumpReluSae sae = JumpReluSae.builder(dIn, dSae)
                .setWEnc(wEnc.clone())
                .setBEnc(bEnc.clone())
                .setThreshold(threshold.clone())
                .setWDec(wDec.clone())
                .setBDec(bDec.clone())
                .build();

        SparseCodes fast = sae.encode(x, rows);
        SparseCodes reference = ReferenceEncoder.encodeJumpRelu(x, rows, wEnc, bEnc, threshold, dIn, dSae);

        assertThat(fast).isEqualTo(reference);
        assertThat(fast.rows()).isEqualTo(rows);
        NumpyFixtures.assertSameBits(sae.decode(fast), ReferenceEncoder.decode(reference, wDec, bDec, dIn), "decode");
    }

    @Test
    void fastEncodeCloseToReferenceOnGaussianData() {
        int dIn = 301;
        int dSae = 1021;
        int rows = 19;
        SplittableRandom random = new SplittableRandom(5);
        float[] wEnc = TestingArrays.gaussian(random, dIn * dSae, 1 / Math.sqrt(dIn));
        float[] bEnc = TestingArrays.gaussian(random, dSae, 0.1);
        float[] threshold = new float[dSae];
        Arrays.fill(threshold, 0.3f);
        float[] x = TestingArrays.gaussian(random, rows * dIn, 1);
        JumpReluSae sae = JumpReluSae.builder(dIn, dSae)
                .setWEnc(wEnc.clone())
                .setBEnc(bEnc)
                .setThreshold(threshold)
                .setWDec(new float[dSae * dIn])
                .setBDec(new float[dIn])
                .build();
        float[] fast = sae.encode(x, rows).toDense();
        float[] pre = ReferenceEncoder.preActivations(x, rows, wEnc, bEnc, dIn, dSae);
        for (int i = 0; i < pre.length; i++) {
            if (Math.abs(pre[i] - 0.3f) < 1e-4) {
                continue; // summation order may legitimately flip a token sitting on the threshold
            }
            float expected = pre[i] > 0.3f ? pre[i] : 0f;
            assertThat((double) fast[i])
                    .as("index %d", i)
                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(expected))));
        }
    }

    @Test
    void activeMeansPositiveEvenWhenAboveNegativeThreshold() {
        // pre = x * 1 + 0 with threshold -1: pre in (-1, 0] passes the threshold but f = pre <= 0 is not active
        JumpReluSae sae = JumpReluSae.builder(1, 1)
                .setWEnc(new float[] {1})
                .setBEnc(new float[] {0})
                .setThreshold(new float[] {-1})
                .setWDec(new float[] {1})
                .setBDec(new float[] {0})
                .build();
        SparseCodes codes = sae.encode(new float[] {-0.5f, 0f, 0.25f, -2f, -0f}, 5);
        assertThat(codes.toDense()).containsExactly(0f, 0f, 0.25f, 0f, 0f);
        assertThat(codes.l0(2)).isEqualTo(1);
        assertThat(codes.nnz()).isEqualTo(1);
    }

    @Test
    void missingArrayIsNamed() {
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("missing_threshold.npz")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("missing_threshold.npz")
                .hasMessageContaining("'threshold'")
                .hasMessageContaining("missing");
    }

    @Test
    void wrongShapesAreNamedWithExpectedShape() {
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("wrong_shape_w_dec.npz")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("wrong_shape_w_dec.npz")
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("[10, 5]")
                .hasMessageContaining("[10, 6]");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("transposed_w_dec.npz")))
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("has shape [6, 10], expected [10, 6]");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("wrong_shape_b_enc.npz")))
                .hasMessageContaining("'b_enc'")
                .hasMessageContaining("[11]");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("w_enc_rank1.npz")))
                .hasMessageContaining("'W_enc'")
                .hasMessageContaining("[d_in, d_sae]");
    }

    @Test
    void nonFiniteValuesAreNamedWithTheirIndex() {
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("nan_w_dec.npz")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("nan_w_dec.npz")
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("NaN at index [3, 4]");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("inf_threshold.npz")))
                .hasMessageContaining("'threshold'")
                .hasMessageContaining("Infinity at index [7]");
    }

    @Test
    void truncatedAndCorruptFilesFailClearly() {
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("truncated_file.npz")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("truncated_file.npz")
                .hasMessageContaining("truncated or corrupt");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("truncated_entry.npz")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("truncated data");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("not_a_zip.npz")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("not_a_zip.npz");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("does_not_exist.npz")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("no such file");
        assertThatThrownBy(() -> JumpReluSae.loadGemmaScope(bad.resolve("complex_b_dec.npz")))
                .hasMessageContaining("'b_dec'")
                .hasMessageContaining("unsupported dtype '<c8'");
    }

    @Test
    void goodBadFixtureLoads() throws Exception {
        assertThat(JumpReluSae.loadGemmaScope(bad.resolve("good.npz")).dSae()).isEqualTo(10);
    }

    @Test
    void builderChecksDimensionsUpFront() {
        assertThatThrownBy(() -> JumpReluSae.builder(2, 3)
                        .setWEnc(new float[6])
                        .setBEnc(new float[3])
                        .setThreshold(new float[3])
                        .setWDec(new float[5])
                        .setBDec(new float[2])
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("[3, 2]");
        assertThatThrownBy(() -> JumpReluSae.builder(2, 3).setWEnc(new float[6]).build())
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("missing");
        JumpReluSae sae = JumpReluSae.builder(2, 3)
                .setWEnc(new float[6])
                .setBEnc(new float[3])
                .setThreshold(new float[3])
                .setWDec(new float[6])
                .setBDec(new float[2])
                .build();
        assertThatThrownBy(() -> sae.encode(new float[5], 3)).hasMessageContaining("rows 3 x d_in 2");
    }
}
