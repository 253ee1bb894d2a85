package dev.scopeflow.sae.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.model.JumpReluSae;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every backend against numpy's brute force over the full float64 {@code W_dec · W_Uᵀ} (fixtures.py
 * logit-effects), on odd sizes whose vocabulary crosses every kernel's row block.
 */
class LogitEffectsTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 101;
    private static final int VOCAB = 1031; // > TorchMatmul.MAX_ROWS (1024) and BlockedMatmul.ROW_BLOCK
    private static final int K = 10;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void gaussianRankingsMatchNumpy(MatmulBackend backend) throws Exception {
        NumpyFixtures.generate(dir, "logit-effects", 3, D_IN, D_SAE, VOCAB, K, "gauss");
        // float32 sums of 37 terms of size ~1: error far below the fixture's 1e-4 gaps between ranked values
        assertMatchesNumpy(compute(backend), 1e-5);
    }

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void exactTiesGoToTheLowerTokenId(MatmulBackend backend) throws Exception {
        NumpyFixtures.generate(dir, "logit-effects", 5, D_IN, D_SAE, VOCAB, K, "ties");
        assertThat(Files.readString(dir.resolve("meta.json"), StandardCharsets.UTF_8))
                .doesNotContain("\"tied_ranks\": 0");
        LogitEffects effects = compute(backend);
        // dyadic values: every order of summation is exact, so values are compared for equality
        assertMatchesNumpy(effects, 0);
        for (int rank = 0; rank < K; rank++) {
            // feature 3's decoder row is zero: every token ties at 0, so both lists are tokens 0..k-1
            assertThat(effects.highestToken(3, rank)).isEqualTo(rank);
            assertThat(effects.lowestToken(3, rank)).isEqualTo(rank);
        }
    }

    @Test
    void widthMismatchNamesBothWidths() {
        try (JumpReluSae sae = sae(new float[D_SAE * D_IN])) {
            LogitEffects.Unembedding wrongWidth = LogitEffects.Unembedding.of(new float[VOCAB * 36], VOCAB, 36);
            assertThatThrownBy(() -> LogitEffects.compute(sae, wrongWidth, K, MatmulBackend.JAVA))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("d_in " + D_IN)
                    .hasMessageContaining("hidden size 36");
        }
    }

    @Test
    void rejectsKOutsideTheVocabularyAndNonFiniteUnembeddings() {
        try (JumpReluSae sae = sae(new float[D_SAE * D_IN])) {
            float[] wU = new float[5 * D_IN];
            assertThatThrownBy(() ->
                            LogitEffects.compute(sae, LogitEffects.Unembedding.of(wU, 5, D_IN), 6, MatmulBackend.JAVA))
                    .hasMessageContaining("k must be in [1, vocab 5], got 6");
            wU[3 * D_IN + 2] = Float.NaN;
            assertThatThrownBy(() ->
                            LogitEffects.compute(sae, LogitEffects.Unembedding.of(wU, 5, D_IN), 2, MatmulBackend.JAVA))
                    .hasMessageContaining("token 3 contains NaN at hidden index 2");
        }
    }

    private LogitEffects compute(MatmulBackend backend) throws Exception {
        float[] wU = NumpyFixtures.f32(dir.resolve("w_u.f32"));
        try (JumpReluSae sae = sae(NumpyFixtures.f32(dir.resolve("w_dec.f32")))) {
            return LogitEffects.compute(sae, LogitEffects.Unembedding.of(wU, VOCAB, D_IN), K, backend);
        }
    }

    /** Only W_dec matters here; the encoder is zeros. */
    private static JumpReluSae sae(float[] wDec) {
        return JumpReluSae.builder(D_IN, D_SAE)
                .setWEnc(new float[D_IN * D_SAE])
                .setBEnc(new float[D_SAE])
                .setThreshold(new float[D_SAE])
                .setWDec(wDec)
                .setBDec(new float[D_IN])
                .build();
    }

    private void assertMatchesNumpy(LogitEffects effects, double tolerance) throws Exception {
        long[] highTokens = NumpyFixtures.i64(dir.resolve("high_tokens.i64"));
        double[] highValues = NumpyFixtures.f64(dir.resolve("high_values.f64"));
        long[] lowTokens = NumpyFixtures.i64(dir.resolve("low_tokens.i64"));
        double[] lowValues = NumpyFixtures.f64(dir.resolve("low_values.f64"));
        assertThat(effects.dSae()).isEqualTo(D_SAE);
        assertThat(effects.vocab()).isEqualTo(VOCAB);
        assertThat(effects.k()).isEqualTo(K);
        for (int f = 0; f < D_SAE; f++) {
            for (int rank = 0; rank < K; rank++) {
                int i = f * K + rank;
                String where = "feature " + f + " rank " + rank;
                assertThat(effects.highestToken(f, rank))
                        .as("highest token, " + where)
                        .isEqualTo(highTokens[i]);
                assertThat(effects.lowestToken(f, rank))
                        .as("lowest token, " + where)
                        .isEqualTo(lowTokens[i]);
                assertThat((double) effects.highestValue(f, rank))
                        .as("highest value, " + where)
                        .isCloseTo(highValues[i], within(tolerance));
                assertThat((double) effects.lowestValue(f, rank))
                        .as("lowest value, " + where)
                        .isCloseTo(lowValues[i], within(tolerance));
            }
        }
    }
}
