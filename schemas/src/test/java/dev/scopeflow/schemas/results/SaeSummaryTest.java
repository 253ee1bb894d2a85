package dev.scopeflow.schemas.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SaeSummaryTest {

    private static final int TOKENS = 1000; // so densities of exactly 1 % and 10 % occur: 10 and 100 fires

    @Test
    void perFeatureCountsMatchBruteForce() {
        long[] fires = fireCounts(1021, 5);
        SaeSummary summary = SaeSummary.ofFeatures(fires.length, TOKENS, f -> fires[f], 0.05);

        long dead = 0;
        long dense = 0;
        long over1 = 0;
        long over10 = 0;
        long total = 0;
        for (long c : fires) {
            dead += c == 0 ? 1 : 0;
            dense += c * 20 > TOKENS ? 1 : 0; // density > 0.05 in integers
            over1 += c * 100 > TOKENS ? 1 : 0;
            over10 += c * 10 > TOKENS ? 1 : 0;
            total += c;
        }
        assertThat(dead).isPositive();
        assertThat(over10).isPositive().isLessThan(dense);
        assertThat(summary).isEqualTo(new SaeSummary(1021, TOKENS, total, dead, dense, 0.05, over1, over10));
        assertThat(summary.alive()).isEqualTo(1021 - dead);
        assertThat(summary.fracAlive()).isEqualTo((1021.0 - dead) / 1021);
        assertThat(summary.fracOver1Percent()).isEqualTo(over1 / 1021.0);
        assertThat(summary.fracOver10Percent()).isEqualTo(over10 / 1021.0);
        assertThat(summary.meanL0()).isEqualTo((double) total / TOKENS);
    }

    @Test
    void thresholdsAreStrict() {
        // exactly 1 % and exactly 10 %: neither counts as over
        SaeSummary summary =
                SaeSummary.ofFeatures(3, TOKENS, f -> new long[] {10, 100, 101}[f], SaeSummary.DEFAULT_DENSE_THRESHOLD);
        assertThat(summary.over1Percent()).isEqualTo(2);
        assertThat(summary.over10Percent()).isEqualTo(1);
        assertThat(summary.dense()).isEqualTo(1);
    }

    @Test
    void groupedCountsGiveTheSameSummaryAsPerFeatureCounts() {
        long[] fires = fireCounts(4099, 11);
        // GROUP BY fire_count, n_tokens done by hand, as ResultsReader gets it from ClickHouse
        Map<Long, Long> byCount = new TreeMap<>();
        for (long c : fires) {
            byCount.merge(c, 1L, Long::sum);
        }
        List<SaeSummary.FireCounts> groups = new ArrayList<>();
        byCount.forEach((c, n) -> groups.add(new SaeSummary.FireCounts(c, TOKENS, n)));
        assertThat(groups.size()).isLessThan(fires.length / 2);

        assertThat(SaeSummary.ofGroups(groups, SaeSummary.DEFAULT_DENSE_THRESHOLD))
                .isEqualTo(
                        SaeSummary.ofFeatures(fires.length, TOKENS, f -> fires[f], SaeSummary.DEFAULT_DENSE_THRESHOLD));
    }

    @Test
    void rejectsThresholdsOutsideZeroToOne() {
        assertThatThrownBy(() -> SaeSummary.ofGroups(List.of(), 1.5)).hasMessageContaining("denseThreshold");
        assertThatThrownBy(() -> SaeSummary.ofGroups(List.of(), Double.NaN)).hasMessageContaining("denseThreshold");
    }

    /** Mostly rare features, some dead, some over 10 %, and the boundary counts 10 and 100. */
    private static long[] fireCounts(int n, long seed) {
        Random random = new Random(seed);
        long[] fires = new long[n];
        for (int f = 0; f < n; f++) {
            int kind = random.nextInt(10);
            fires[f] = switch (kind) {
                case 0 -> 0;
                case 1 -> 10;
                case 2 -> 100;
                case 3 -> 100 + random.nextInt(TOKENS - 99);
                case 4 -> 50 + random.nextInt(50);
                default -> random.nextInt(30);
            };
        }
        return fires;
    }
}
