package dev.scopeflow.sae.stats;

import static dev.scopeflow.sae.NumpyFixtures.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconstructionStatsTest {

    private static final int ROWS = 150;
    private static final int D_IN = 37;

    @TempDir
    static Path dir;

    static float[] x;
    static float[] xHat;
    static long[] l0;
    static double[] expected;
    static double[] expectedInputSums;

    @BeforeAll
    static void writeFixtures() throws Exception {
        Path fixture = NumpyFixtures.generate(dir.resolve("recon"), "recon", 5, ROWS, D_IN);
        x = f32(fixture.resolve("x.f32"));
        xHat = f32(fixture.resolve("x_hat.f32"));
        l0 = NumpyFixtures.i64(fixture.resolve("l0.i64"));
        expected = NumpyFixtures.f64(fixture.resolve("expected.f64"));
        expectedInputSums = NumpyFixtures.f64(fixture.resolve("x_sums.f64"));
    }

    @Test
    void matchesNumpyBruteForce() {
        ReconstructionStats stats = new ReconstructionStats(D_IN);
        for (int r = 0; r < ROWS; r++) {
            stats.addRow(x, r * D_IN, xHat, r * D_IN, (int) l0[r]);
        }
        assertMatchesExpected(stats);
    }

    @Test
    void saeEndToEndMatchesNumpy() throws Exception {
        Path fixture = NumpyFixtures.generate(dir.resolve("sae"), "sae", 8, 37, 1021, 40, "gauss");
        JumpReluSae sae = JumpReluSae.loadGemmaScope(fixture.resolve("params.npz"));
        float[] input = f32(fixture.resolve("x.f32"));
        SparseCodes codes = sae.encode(input, 40);
        ReconstructionStats stats = new ReconstructionStats(37);
        stats.addAll(input, sae.decode(codes), codes);

        float[] recon = f32(fixture.resolve("recon.f32"));
        float[] acts = f32(fixture.resolve("acts.f32"));
        long nnz = 0;
        for (float a : acts) {
            if (a > 0) nnz++;
        }
        double err = 0;
        for (int i = 0; i < input.length; i++) {
            err += ((double) input[i] - recon[i]) * ((double) input[i] - recon[i]);
        }
        assertThat(stats.tokens()).isEqualTo(40);
        assertThat(stats.l0()).isEqualTo(nnz / 40.0);
        assertThat(stats.mse()).isCloseTo(err / (40 * 37), within(1e-5 * err / (40 * 37)));
    }

    @RepeatedTest(25)
    void mergeOfAnySplitInAnyOrderMatchesTheWhole(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(repetition.getCurrentRepetition());
        ReconstructionStats whole = new ReconstructionStats(D_IN);
        int parts = 1 + random.nextInt(7);
        List<ReconstructionStats> pool = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            pool.add(new ReconstructionStats(D_IN));
        }
        for (int r = 0; r < ROWS; r++) {
            whole.addRow(x, r * D_IN, xHat, r * D_IN, (int) l0[r]);
            pool.get(random.nextInt(parts)).addRow(x, r * D_IN, xHat, r * D_IN, (int) l0[r]);
        }
        while (pool.size() > 1) {
            ReconstructionStats left = pool.remove(random.nextInt(pool.size()));
            ReconstructionStats right = pool.remove(random.nextInt(pool.size()));
            left.merge(right);
            pool.add(left);
        }
        ReconstructionStats merged = pool.get(0);
        assertThat(merged.tokens()).isEqualTo(whole.tokens());
        assertThat(merged.l0()).isEqualTo(whole.l0());
        assertThat(merged.fvu()).isCloseTo(whole.fvu(), within(1e-9 * Math.abs(whole.fvu())));
        assertThat(merged.totalCentredVariance())
                .isCloseTo(whole.totalCentredVariance(), within(1e-9 * whole.totalCentredVariance()));
        assertThat(merged.cosine()).isCloseTo(whole.cosine(), within(1e-12));
        assertThat(merged.relativeReconstructionBias()).isCloseTo(whole.relativeReconstructionBias(), within(1e-12));
        assertMatchesExpected(merged);
    }

    @Test
    void centringSurvivesHugeOffsets() {
        // mean 1e6, spread 1: Σx² − (Σx)²/n in double would lose everything; Welford keeps it
        ReconstructionStats stats = new ReconstructionStats(1);
        float[] values = {1e6f - 1, 1e6f + 1, 1e6f - 1, 1e6f + 1};
        ReconstructionStats other = new ReconstructionStats(1);
        for (int i = 0; i < 2; i++) stats.addRow(values, i, new float[] {1e6f}, 0, 1);
        for (int i = 2; i < 4; i++) other.addRow(values, i, new float[] {1e6f}, 0, 1);
        stats.merge(other);
        assertThat(stats.totalCentredVariance()).isEqualTo(4.0);
        assertThat(stats.fvu()).isEqualTo(1.0);
        assertThat(stats.explainedVariance()).isEqualTo(0.0);
    }

    @Test
    void serializationRoundTripsAndRejectsCorruption() {
        ReconstructionStats stats = new ReconstructionStats(D_IN);
        assertThat(ReconstructionStats.fromBytes(stats.toBytes())).isEqualTo(stats);
        for (int r = 0; r < ROWS; r++) {
            stats.addRow(x, r * D_IN, xHat, r * D_IN, (int) l0[r]);
        }
        byte[] bytes = stats.toBytes();
        ReconstructionStats back = ReconstructionStats.fromBytes(bytes);
        assertThat(back).isEqualTo(stats);
        assertThat(back.hashCode()).isEqualTo(stats.hashCode());
        assertThat(back.toBytes()).isEqualTo(bytes);
        assertThatThrownBy(() -> ReconstructionStats.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> ReconstructionStats.fromBytes(new FeatureStats(3).toBytes()))
                .hasMessageContaining("bad magic");
        byte[] future = bytes.clone();
        future[4] = 3;
        assertThatThrownBy(() -> ReconstructionStats.fromBytes(future))
                .hasMessageContaining("unsupported version 3 (this build reads 1 to 2)");
    }

    /**
     * A v1 state (from a checkpoint taken before v2 added Σ‖x‖² and Σx) still restores, with both derived from the
     * means and centred squares: equal to the v2 sums up to double rounding, every other field bit for bit.
     */
    @Test
    void readsVersionOneStates() {
        ReconstructionStats stats = new ReconstructionStats(D_IN);
        for (int r = 0; r < ROWS; r++) {
            stats.addRow(x, r * D_IN, xHat, r * D_IN, (int) l0[r]);
        }
        byte[] v2 = stats.toBytes();
        // v1 = v2 without Σ‖x‖² (the double after Σx·x̂) and without the trailing dIn sums of x
        int tail = 8 * D_IN * 3;
        int sumInputNorm = v2.length - tail - 8;
        byte[] v1 = new byte[v2.length - 8 - 8 * D_IN];
        System.arraycopy(v2, 0, v1, 0, sumInputNorm);
        System.arraycopy(v2, sumInputNorm + 8, v1, sumInputNorm, 8 * D_IN * 2);
        v1[4] = 1;
        ReconstructionStats back = ReconstructionStats.fromBytes(v1);
        assertThat(back.tokens()).isEqualTo(stats.tokens());
        assertThat(back.mean()).isEqualTo(stats.mean());
        assertThat(back.sumSquaredError()).isEqualTo(stats.sumSquaredError());
        assertThat(back.fvu()).isEqualTo(stats.fvu());
        assertRelative(back.sumInputNormSquared(), expected[10], "Σ‖x‖² from v1");
        double[] sums = back.inputSums();
        for (int d = 0; d < D_IN; d++) {
            assertThat(sums[d]).as("Σx[%d] from v1", d).isCloseTo(expectedInputSums[d], within(1e-9 * 20 * ROWS));
        }
    }

    @Test
    void checksDimensionsUpFront() {
        ReconstructionStats stats = new ReconstructionStats(4);
        assertThatThrownBy(() -> stats.addRow(new float[7], 4, new float[8], 0, 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> stats.merge(new ReconstructionStats(5))).hasMessageContaining("d_in mismatch");
        assertThatThrownBy(() -> stats.addAll(
                        new float[8],
                        new float[8],
                        SparseCodes.builder(3).endRow().build()))
                .hasMessageContaining("rows 1 x dIn 4");
        assertThat(stats.mse()).isNaN();
    }

    private static void assertMatchesExpected(ReconstructionStats stats) {
        assertThat(stats.tokens()).isEqualTo((long) expected[7]);
        assertThat(stats.l0()).isCloseTo(expected[0], within(1e-12));
        assertRelative(stats.mse(), expected[1], "mse");
        assertRelative(stats.fvu(), expected[2], "fvu");
        assertRelative(stats.explainedVariance(), expected[3], "explained variance");
        assertRelative(stats.cosine(), expected[4], "cosine");
        assertRelative(stats.l2Ratio(), expected[5], "l2 ratio");
        assertRelative(stats.relativeReconstructionBias(), expected[6], "relative reconstruction bias");
        assertRelative(stats.msePerToken(), expected[8], "mse per token");
        assertRelative(stats.sumSquaredError(), expected[9], "Σ‖x − x̂‖²");
        assertRelative(stats.sumInputNormSquared(), expected[10], "Σ‖x‖²");
        assertRelative(stats.sumReconNormSquared(), expected[11], "Σ‖x̂‖²");
        assertRelative(stats.sumDot(), expected[12], "Σ x·x̂");
        double[] sums = stats.inputSums();
        for (int d = 0; d < D_IN; d++) {
            assertThat(sums[d]).as("Σx[%d]", d).isCloseTo(expectedInputSums[d], within(1e-9 * 20 * ROWS));
        }
    }

    private static void assertRelative(double actual, double expected, String what) {
        assertThat(actual).as(what).isCloseTo(expected, within(1e-5 * Math.abs(expected)));
    }
}
