package dev.scopeflow.sae.model;

import static dev.scopeflow.sae.NumpyFixtures.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.TestingArrays;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.ReferenceEncoder;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.format.FileFormatException;
import dev.scopeflow.schemas.format.SafetensorsFile;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class SaeLensSaeTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 300;
    private static final int ROWS = 40;

    @TempDir
    static Path dir;

    static Path bad;

    @BeforeAll
    static void writeBadFixtures() throws Exception {
        bad = NumpyFixtures.generate(dir.resolve("bad"), "saelens-bad");
    }

    @ParameterizedTest(name = "{1} k={2} b_dec_in={3} norm={4} {5}")
    @CsvSource({
        "1, standard, 0, 1, none, F32",
        "2, standard, 0, 0, constant_norm_rescale, F16",
        "3, jumprelu, 0, 1, none, BF16",
        "4, jumprelu, 0, 0, layer_norm, F32",
        "5, topk, 7, 1, none, F32",
        "6, topk, 8, 1, constant_norm_rescale, BF16",
        "7, topk, 16, 0, layer_norm, F16",
        "8, standard, 0, 1, expected_average_only_in, BF16",
    })
    void encodeAndDecodeMatchSaeLensMathInNumpy(int seed, String arch, int k, int applyBDec, String norm, String dtype)
            throws Exception {
        Path fixture = NumpyFixtures.generate(
                dir.resolve(arch + seed), "saelens", seed, arch, k, applyBDec, norm, dtype, D_IN, D_SAE, ROWS);
        SaeLensSae sae = SaeLensSae.load(fixture);
        assertThat(sae.dIn()).isEqualTo(D_IN);
        assertThat(sae.dSae()).isEqualTo(D_SAE);
        assertThat(sae.architecture().name()).isEqualToIgnoringCase(arch);
        assertThat(sae.k()).isEqualTo(k);
        assertThat(sae.appliesBDecToInput()).isEqualTo(applyBDec == 1);

        float[] x = f32(fixture.resolve("x.f32"));
        SparseCodes codes = sae.encode(x, ROWS);
        float[] expected = f32(fixture.resolve("acts.f32"));
        float[] actual = codes.toDense();
        // the fixture keeps every decision >= 1e-3 from its boundary, so the active set must match exactly
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i] > 0).as("active[%d]", i).isEqualTo(expected[i] > 0);
        }
        if (arch.equals("topk")) {
            for (int r = 0; r < ROWS; r++) {
                assertThat(codes.l0(r)).isLessThanOrEqualTo(k);
            }
        }
        TestingArrays.assertFeaturesAscendAndPositive(codes);
        NumpyFixtures.assertClose(actual, expected, 1e-5, 1.0, "acts");
        NumpyFixtures.assertClose(sae.decode(codes), f32(fixture.resolve("recon.f32")), 1e-5, 1.0, "recon");
        assertThat(codes.hasOutputTransform())
                .isEqualTo(norm.equals("constant_norm_rescale") || norm.equals("layer_norm"));
    }

    @ParameterizedTest(name = "d_in {0}, d_sae {1}, rows {2}, k {3}")
    @CsvSource({"1,1,1,1", "37,1021,33,32", "5,129,17,129", "64,257,3,1", "130,127,20,5"})
    void fastTopKAndReluEqualReferenceOnOddSizes(int dIn, int dSae, int rows, int k) {
        SplittableRandom random = new SplittableRandom(dIn * 131L + dSae + rows);
        // dyadic values: exact sums, and plenty of exact ties for the lower-index rule
        float[] wEnc = TestingArrays.dyadic(random, dIn * dSae, 4, 8);
        float[] bEnc = TestingArrays.dyadic(random, dSae, 4, 8);
        float[] x = TestingArrays.dyadic(random, rows * dIn, 2, 2);
        float[] wDec = TestingArrays.dyadic(random, dSae * dIn, 16, 64);
        float[] bDec = new float[dIn];
        SaeLensSae topK = new SaeLensSae(
                dIn,
                dSae,
                SaeLensSae.Architecture.TOPK,
                k,
                false,
                SaeLensSae.Normalization.NONE,
                wEnc.clone(),
                bEnc.clone(),
                null,
                wDec.clone(),
                bDec.clone(),
                MatmulBackend.JAVA,
                ComputeDevice.CPU);
        SaeLensSae relu = new SaeLensSae(
                dIn,
                dSae,
                SaeLensSae.Architecture.STANDARD,
                0,
                false,
                SaeLensSae.Normalization.NONE,
                wEnc.clone(),
                bEnc.clone(),
                null,
                wDec.clone(),
                bDec.clone(),
                MatmulBackend.JAVA,
                ComputeDevice.CPU);

        assertThat(topK.encode(x, rows)).isEqualTo(ReferenceEncoder.encodeTopK(x, rows, wEnc, bEnc, k, dIn, dSae));
        SparseCodes reluCodes = relu.encode(x, rows);
        assertThat(reluCodes).isEqualTo(ReferenceEncoder.encodeRelu(x, rows, wEnc, bEnc, dIn, dSae));
        NumpyFixtures.assertSameBits(
                relu.decode(reluCodes), ReferenceEncoder.decode(reluCodes, wDec, bDec, dIn), "decode");
    }

    @Test
    void topKBreaksTiesTowardsTheLowerFeature() {
        // identity encoder: pre == x; features 1, 2 and 4 tie at 2.0 for two slots after feature 3 (5.0)
        float[] identity = new float[25];
        for (int i = 0; i < 5; i++) identity[i * 5 + i] = 1f;
        SaeLensSae sae = new SaeLensSae(
                5,
                5,
                SaeLensSae.Architecture.TOPK,
                3,
                false,
                SaeLensSae.Normalization.NONE,
                identity,
                new float[5],
                null,
                identity.clone(),
                new float[5],
                MatmulBackend.JAVA,
                ComputeDevice.CPU);
        SparseCodes codes = sae.encode(new float[] {1f, 2f, 2f, 5f, 2f}, 1);
        assertThat(codes.toDense()).containsExactly(0f, 2f, 2f, 5f, 0f);
        // a negative pre-activation in the top k is dropped by the ReLU after selection
        SparseCodes negative = sae.encode(new float[] {-1f, -2f, 3f, -4f, -5f}, 1);
        assertThat(negative.toDense()).containsExactly(0f, 0f, 3f, 0f, 0f);
    }

    @Test
    void widthMismatchNamesTheTensorAndBothShapes() {
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("width_mismatch")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("sae_weights.safetensors")
                .hasMessageContaining("'W_enc'")
                .hasMessageContaining("[6, 10]")
                .hasMessageContaining("[7, 10]")
                .hasMessageContaining("width mismatch");
    }

    @Test
    void configProblemsAreNamed() {
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("gated")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("cfg.json")
                .hasMessageContaining("unsupported architecture 'gated'");
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("topk_without_k")))
                .hasMessageContaining("topk needs an integer k");
        assertThatThrownBy(() -> SaeLensSae.load(dir.resolve("nowhere"))).hasMessageContaining("no cfg.json");
    }

    @Test
    void missingTensorNanAndTruncationFailClearly() {
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("missing_threshold")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("'threshold'")
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("nan_w_dec")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("NaN at index [2, 3]");
        assertThatThrownBy(() -> SaeLensSae.load(bad.resolve("truncated")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void goodFixtureLoads() throws Exception {
        SaeLensSae sae = SaeLensSae.load(bad.resolve("good"));
        assertThat(sae.architecture()).isEqualTo(SaeLensSae.Architecture.JUMPRELU);
        try (SafetensorsFile reader = SafetensorsFile.open(bad.resolve("good/sae_weights.safetensors"))) {
            assertThat(reader.tensors().keySet()).containsExactly("W_enc", "W_dec", "b_enc", "b_dec", "threshold");
            assertThat(reader.metadata()).containsEntry("format", "pt");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void saeLensReluAndJumpReluCodesAreIdenticalToTheReference(MatmulBackend backend) {
        SplittableRandom random = new SplittableRandom(13);
        int dIn = 37;
        int dSae = 1021;
        int rows = 1090;
        float[] wEnc = TestingArrays.dyadic(random, dIn * dSae, 8, 16);
        float[] bEnc = TestingArrays.dyadic(random, dSae, 4, 8);
        float[] threshold = TestingArrays.dyadic(random, dSae, 4, 8); // negative ones too: then pre > 0 rules
        float[] wDec = TestingArrays.dyadic(random, dSae * dIn, 16, 64);
        float[] x = TestingArrays.dyadic(random, rows * dIn, 2, 2);
        try (SaeLensSae relu = new SaeLensSae(
                        dIn,
                        dSae,
                        SaeLensSae.Architecture.STANDARD,
                        0,
                        false,
                        SaeLensSae.Normalization.NONE,
                        wEnc.clone(),
                        bEnc.clone(),
                        null,
                        wDec.clone(),
                        new float[dIn],
                        backend,
                        ComputeDevice.CPU);
                SaeLensSae jumpRelu = new SaeLensSae(
                        dIn,
                        dSae,
                        SaeLensSae.Architecture.JUMPRELU,
                        0,
                        false,
                        SaeLensSae.Normalization.NONE,
                        wEnc.clone(),
                        bEnc.clone(),
                        threshold.clone(),
                        wDec.clone(),
                        new float[dIn],
                        backend,
                        ComputeDevice.CPU)) {
            assertThat(relu.encode(x, rows)).isEqualTo(ReferenceEncoder.encodeRelu(x, rows, wEnc, bEnc, dIn, dSae));
            assertThat(jumpRelu.encode(x, rows))
                    .isEqualTo(ReferenceEncoder.encodeJumpRelu(x, rows, wEnc, bEnc, threshold, dIn, dSae));
        }
    }
}
