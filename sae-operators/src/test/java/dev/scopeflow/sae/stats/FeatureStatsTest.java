package dev.scopeflow.sae.stats;

import static dev.scopeflow.sae.NumpyFixtures.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FeatureStatsTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeFixtures() throws Exception {
        NumpyFixtures.generate(dir.resolve("exact"), "sae", 21, 37, 1021, 33, "exact");
        NumpyFixtures.generate(dir.resolve("gauss"), "sae", 22, 64, 509, 200, "gauss");
    }

    @ParameterizedTest
    @ValueSource(strings = {"exact", "gauss"})
    void matchesNumpyBruteForce(String kind) throws Exception {
        Path fixture = dir.resolve(kind);
        JumpReluSae sae = JumpReluSae.loadGemmaScope(fixture.resolve("params.npz"));
        float[] x = f32(fixture.resolve("x.f32"));
        int rows = x.length / sae.dIn();
        FeatureStats stats = new FeatureStats(sae.dSae());
        stats.addAll(sae.encode(x, rows));

        assertThat(stats.tokens()).isEqualTo(rows);
        long[] fires = NumpyFixtures.i64(fixture.resolve("fire_count.i64"));
        double[] sum = NumpyFixtures.f64(fixture.resolve("sum.f64"));
        double[] sumSq = NumpyFixtures.f64(fixture.resolve("sum_sq.f64"));
        float[] max = f32(fixture.resolve("max.f32"));
        long[] actualFires = new long[sae.dSae()];
        double[] actualSum = new double[sae.dSae()];
        double[] actualSumSq = new double[sae.dSae()];
        float[] actualMax = new float[sae.dSae()];
        for (int f = 0; f < sae.dSae(); f++) {
            actualFires[f] = stats.fireCount(f);
            actualSum[f] = stats.sum(f);
            actualSumSq[f] = stats.sumOfSquares(f);
            actualMax[f] = stats.max(f);
        }
        assertThat(actualFires).containsExactly(fires);
        assertThat(Arrays.stream(fires).filter(c -> c == 0).count())
                .as("some dead features")
                .isPositive();
        NumpyFixtures.assertClose(actualSum, sum, 1e-5, 0, "sum");
        NumpyFixtures.assertClose(actualSumSq, sumSq, 1e-5, 0, "sum of squares");
        NumpyFixtures.assertClose(actualMax, max, 1e-5, 0, "max");
    }

    @RepeatedTest(40)
    void mergeOfAnySplitInAnyOrderEqualsTheWhole(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(repetition.getCurrentRepetition());
        int dSae = 1 + random.nextInt(300);
        SparseCodes codes = randomCodes(random, dSae, random.nextInt(120));
        FeatureStats whole = new FeatureStats(dSae);
        whole.addAll(codes);

        List<FeatureStats> parts = randomParts(random, codes);
        FeatureStats merged = mergeAsRandomTree(random, parts);

        // dyadic activations keep every double sum exact, so equality is exact whatever the order
        assertThat(merged).isEqualTo(whole);
        assertThat(merged.hashCode()).isEqualTo(whole.hashCode());
    }

    @Test
    void mergeIsCommutativeAndAssociative() {
        SplittableRandom random = new SplittableRandom(99);
        FeatureStats a = statsOf(randomCodes(random, 50, 30));
        FeatureStats b = statsOf(randomCodes(random, 50, 17));
        FeatureStats c = statsOf(randomCodes(random, 50, 0));
        FeatureStats ab = a.copy();
        ab.merge(b);
        FeatureStats ba = b.copy();
        ba.merge(a);
        assertThat(ab).isEqualTo(ba);
        FeatureStats abC = ab.copy();
        abC.merge(c);
        FeatureStats bc = b.copy();
        bc.merge(c);
        FeatureStats aBc = a.copy();
        aBc.merge(bc);
        assertThat(abC).isEqualTo(aBc);
        assertThat(abC.tokens()).isEqualTo(47);
    }

    @Test
    void countsEveryTokenAndOnlyActiveFeatures() {
        SparseCodes codes = SparseCodes.builder(4)
                .add(1, 2f)
                .add(3, 0.5f)
                .endRow()
                .endRow()
                .add(1, 3f)
                .endRow()
                .build();
        FeatureStats stats = new FeatureStats(4);
        stats.addRow(codes, 0);
        stats.addRow(codes, 1);
        assertThat(stats.tokens()).isEqualTo(2);
        assertThat(stats.fireCount(1)).isEqualTo(1);
        stats.addRow(codes, 2);
        assertThat(stats.fireCount(1)).isEqualTo(2);
        assertThat(stats.sum(1)).isEqualTo(5.0);
        assertThat(stats.sumOfSquares(1)).isEqualTo(13.0);
        assertThat(stats.max(1)).isEqualTo(3f);
        assertThat(stats.max(0)).isZero();
        assertThat(stats.fireCount(0)).isZero();
        assertThat(stats.density(1)).isEqualTo(2.0 / 3);
        assertThat(stats.meanWhenFiring(3)).isEqualTo(0.5);
        assertThatThrownBy(() -> stats.addRow(codes, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> stats.merge(new FeatureStats(5))).hasMessageContaining("d_sae mismatch");
        assertThatThrownBy(() -> stats.addAll(SparseCodes.builder(3).build())).hasMessageContaining("d_sae");
    }

    @RepeatedTest(20)
    void serializationRoundTrips(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(1000 + repetition.getCurrentRepetition());
        int dSae = 1 + random.nextInt(5000);
        FeatureStats stats = statsOf(randomCodes(random, dSae, random.nextInt(50)));
        byte[] bytes = stats.toBytes();
        FeatureStats back = FeatureStats.fromBytes(bytes);
        assertThat(back).isEqualTo(stats);
        assertThat(back.toBytes()).isEqualTo(bytes);
    }

    @Test
    void serializationIsSparse() {
        FeatureStats empty = new FeatureStats(131072);
        assertThat(empty.toBytes()).hasSizeLessThan(16);
        assertThat(FeatureStats.fromBytes(empty.toBytes())).isEqualTo(empty);
        SparseCodes one = SparseCodes.builder(131072).add(70000, 1.5f).endRow().build();
        FeatureStats stats = statsOf(one);
        assertThat(stats.toBytes()).hasSizeLessThan(50);
        assertThat(FeatureStats.fromBytes(stats.toBytes())).isEqualTo(stats);
    }

    @Test
    void corruptBytesAreRejected() {
        byte[] good = statsOf(randomCodes(new SplittableRandom(4), 64, 10)).toBytes();
        assertThatThrownBy(() -> FeatureStats.fromBytes(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> FeatureStats.fromBytes(Arrays.copyOf(good, good.length + 1)))
                .hasMessageContaining("trailing");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> FeatureStats.fromBytes(magic)).hasMessageContaining("bad magic");
        byte[] version = good.clone();
        version[4] = 9;
        assertThatThrownBy(() -> FeatureStats.fromBytes(version)).hasMessageContaining("unsupported version 9");
        assertThatThrownBy(() -> FeatureStats.fromBytes(new byte[0])).hasMessageContaining("truncated");
    }

    static FeatureStats statsOf(SparseCodes codes) {
        FeatureStats stats = new FeatureStats(codes.dSae());
        stats.addAll(codes);
        return stats;
    }

    /** Random codes with dyadic activations (multiples of 1/64 up to 8), so double sums are order-free. */
    static SparseCodes randomCodes(SplittableRandom random, int dSae, int rows) {
        SparseCodes.Builder builder = SparseCodes.builder(dSae);
        double density = random.nextDouble() * 0.3;
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < dSae; f++) {
                if (random.nextDouble() < density) {
                    builder.add(f, random.nextInt(1, 512) / 64f);
                }
            }
            builder.endRow();
        }
        return builder.build();
    }

    /** Each row goes to a random part (some parts may stay empty). */
    static List<FeatureStats> randomParts(SplittableRandom random, SparseCodes codes) {
        int partCount = 1 + random.nextInt(8);
        List<FeatureStats> parts = new ArrayList<>();
        for (int p = 0; p < partCount; p++) {
            parts.add(new FeatureStats(codes.dSae()));
        }
        for (int r = 0; r < codes.rows(); r++) {
            parts.get(random.nextInt(partCount)).addRow(codes, r);
        }
        return parts;
    }

    /** Repeatedly merges two random members until one remains: every tree shape and order is reachable. */
    static FeatureStats mergeAsRandomTree(SplittableRandom random, List<FeatureStats> parts) {
        List<FeatureStats> pool = new ArrayList<>(parts);
        Collections.shuffle(pool, new Random(random.nextLong()));
        while (pool.size() > 1) {
            FeatureStats left = pool.remove(random.nextInt(pool.size()));
            FeatureStats right = pool.remove(random.nextInt(pool.size()));
            left.merge(right);
            pool.add(left);
        }
        return pool.get(0);
    }
}
