package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.schemas.results.SaeSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopExamplesTest {

    @TempDir
    static Path dir;

    @RepeatedTest(30)
    void mergedRandomSplitsEqualBruteForce(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(repetition.getCurrentRepetition());
        int dSae = 1 + random.nextInt(60);
        int k = 1 + random.nextInt(6);
        int rows = random.nextInt(200);
        // coarse activations and few docs: many exact ties, so the doc/position tie-break really decides
        SparseCodes.Builder builder = SparseCodes.builder(dSae);
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < dSae; f++) {
                if (random.nextDouble() < 0.3) builder.add(f, 1 + random.nextInt(4));
            }
            builder.endRow();
        }
        SparseCodes codes = builder.build();
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = random.nextInt(5) - 2;
            positions[r] = r; // (doc, position) unique per token, as in a corpus
        }

        int parts = 1 + random.nextInt(6);
        List<TopExamples> pool = new ArrayList<>();
        for (int p = 0; p < parts; p++) pool.add(new TopExamples(dSae, k));
        for (int r = 0; r < rows; r++) pool.get(random.nextInt(parts)).addRow(codes, r, docs[r], positions[r]);
        Collections.shuffle(pool, new Random(random.nextLong()));
        while (pool.size() > 1) {
            TopExamples left = pool.remove(random.nextInt(pool.size()));
            left.merge(pool.remove(random.nextInt(pool.size())));
            pool.add(left);
        }
        TopExamples merged = pool.get(0);

        for (int f = 0; f < dSae; f++) {
            assertThat(merged.examples(f)).as("feature %d", f).isEqualTo(bruteForce(codes, docs, positions, f, k));
        }
        TopExamples whole = new TopExamples(dSae, k);
        whole.addAll(codes, docs, positions);
        assertThat(merged).isEqualTo(whole);
        assertThat(merged.hashCode()).isEqualTo(whole.hashCode());
        assertThat(TopExamples.fromBytes(merged.toBytes())).isEqualTo(whole);
    }

    @Test
    void tiesGoToLowerDocThenLowerPosition() {
        SparseCodes codes = SparseCodes.builder(1)
                .add(0, 2f)
                .endRow()
                .add(0, 2f)
                .endRow()
                .add(0, 2f)
                .endRow()
                .add(0, 3f)
                .endRow()
                .build();
        TopExamples top = new TopExamples(1, 3);
        top.addAll(codes, new long[] {7, 5, 5, 9}, new int[] {1, 4, 2, 0});
        assertThat(top.examples(0))
                .containsExactly(
                        new TopExamples.Example(9, 0, 3f),
                        new TopExamples.Example(5, 2, 2f),
                        new TopExamples.Example(5, 4, 2f));
        assertThat(top.examples(0)).hasSize(3);
    }

    @Test
    void serializationRoundTripsAndRejectsCorruption() {
        TopExamples empty = new TopExamples(16384);
        assertThat(empty.k()).isEqualTo(TopExamples.DEFAULT_K);
        assertThat(empty.toBytes()).hasSizeLessThan(16);
        assertThat(TopExamples.fromBytes(empty.toBytes())).isEqualTo(empty);
        SparseCodes codes = SparseCodes.builder(16384)
                .add(3, 1.5f)
                .add(9000, 0.25f)
                .endRow()
                .build();
        TopExamples top = new TopExamples(16384);
        top.addRow(codes, 0, Long.MAX_VALUE, 123456);
        byte[] bytes = top.toBytes();
        assertThat(TopExamples.fromBytes(bytes)).isEqualTo(top);
        assertThat(TopExamples.fromBytes(bytes).examples(9000))
                .containsExactly(new TopExamples.Example(Long.MAX_VALUE, 123456, 0.25f));
        assertThatThrownBy(() -> TopExamples.fromBytes(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> TopExamples.fromBytes(new FeatureStats(2).toBytes()))
                .hasMessageContaining("bad magic");
        assertThatThrownBy(() -> top.merge(new TopExamples(16384, 5))).hasMessageContaining("k mismatch");
    }

    @Test
    void summaryMatchesBruteForceOnNumpyFireCounts() throws Exception {
        Path fixture = NumpyFixtures.generate(dir.resolve("g"), "sae", 31, 16, 700, 300, "gauss");
        JumpReluSae sae = JumpReluSae.loadGemmaScope(fixture.resolve("params.npz"));
        float[] x = NumpyFixtures.f32(fixture.resolve("x.f32"));
        FeatureStats stats = new FeatureStats(sae.dSae());
        stats.addAll(sae.encode(x, 300));
        long[] fires = NumpyFixtures.i64(fixture.resolve("fire_count.i64"));
        int dead = 0;
        int dense = 0;
        int over1 = 0;
        for (long c : fires) {
            if (c == 0) dead++;
            if (c * 10 > 300) dense++;
            if (c * 100 > 300) over1++;
        }
        SaeSummary summary = stats.summary();
        assertThat(summary.tokens()).isEqualTo(300);
        assertThat(summary.dead()).isEqualTo(dead).isPositive();
        assertThat(summary.dense()).isEqualTo(dense).isPositive();
        assertThat(summary.fracAlive()).isEqualTo((700.0 - dead) / 700);
        assertThat(summary.fracOver1Percent()).isEqualTo(over1 / 700.0);
        assertThat(summary.fracOver10Percent()).isEqualTo(dense / 700.0);
        assertThat(stats.summary(0.5).dense()).isLessThanOrEqualTo(dense);
        assertThatThrownBy(() -> stats.summary(1.5)).hasMessageContaining("denseThreshold");
    }

    static List<TopExamples.Example> bruteForce(SparseCodes codes, long[] docs, int[] positions, int feature, int k) {
        List<TopExamples.Example> all = new ArrayList<>();
        for (int r = 0; r < codes.rows(); r++) {
            for (int i = codes.start(r); i < codes.end(r); i++) {
                if (codes.feature(i) == feature) {
                    all.add(new TopExamples.Example(docs[r], positions[r], codes.value(i)));
                }
            }
        }
        all.sort((a, b) -> {
            int byActivation = Float.compare(b.activation(), a.activation());
            if (byActivation != 0) return byActivation;
            int byDoc = Long.compare(a.doc(), b.doc());
            return byDoc != 0 ? byDoc : Integer.compare(a.position(), b.position());
        });
        return all.subList(0, Math.min(k, all.size()));
    }
}
