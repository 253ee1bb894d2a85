package dev.scopeflow.sae.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store policies against brute force over dense rows, and their text form. Checked to fail with the
 * selection switched off ({@code select} returning the codes unchanged for every policy but none).
 */
class StorePolicyTest {

    private static final int D_SAE = 1021;
    private static final int ROWS = 37;

    /** Random codes with many ties (values drawn from few levels) and rows from empty to dense. */
    private static SparseCodes randomCodes(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] dense = new float[ROWS * D_SAE];
        for (int r = 0; r < ROWS; r++) {
            double density = r == 0 ? 0 : r == 1 ? 1 : random.nextDouble(0.3);
            for (int f = 0; f < D_SAE; f++) {
                if (random.nextDouble() < density) {
                    dense[r * D_SAE + f] = random.nextInt(1, 9) * 0.25f;
                }
            }
        }
        return SparseCodes.fromDense(dense, ROWS, D_SAE);
    }

    /** What a row keeps, by sorting all its features: value descending, then feature ascending. */
    private static float[] bruteForceTop(float[] dense, int n) {
        float[] kept = new float[dense.length];
        for (int r = 0; r < ROWS; r++) {
            List<Integer> active = new ArrayList<>();
            for (int f = 0; f < D_SAE; f++) {
                if (dense[r * D_SAE + f] > 0) active.add(f);
            }
            int row = r;
            active.sort(Comparator.<Integer, Float>comparing(f -> -dense[row * D_SAE + f])
                    .thenComparing(f -> f));
            for (int f : active.subList(0, Math.min(n, active.size()))) {
                kept[r * D_SAE + f] = dense[r * D_SAE + f];
            }
        }
        return kept;
    }

    @Test
    void topPerTokenKeepsTheNLargestWithTiesToTheLowerFeature() {
        SparseCodes codes = randomCodes(11);
        float[] dense = codes.toDense();
        for (int n : new int[] {1, 2, 3, 7, 64, 300, D_SAE, D_SAE + 5}) {
            SparseCodes kept = StorePolicy.topPerToken(n).select(codes);
            assertThat(kept.rows()).isEqualTo(ROWS);
            assertThat(kept.toDense()).as("top-per-token %d", n).isEqualTo(bruteForceTop(dense, n));
        }
    }

    @Test
    void minActivationKeepsValuesAtOrAboveTheThreshold() {
        SparseCodes codes = randomCodes(12);
        float[] dense = codes.toDense();
        // 0.75 is one of the levels: equality must keep the entry
        for (float threshold : new float[] {0.1f, 0.75f, 1.3f, 5f}) {
            float[] want = dense.clone();
            for (int i = 0; i < want.length; i++) {
                if (want[i] < threshold) want[i] = 0;
            }
            SparseCodes kept = StorePolicy.minActivation(threshold).select(codes);
            assertThat(kept.rows()).isEqualTo(ROWS);
            assertThat(kept.toDense()).as("min-activation %s", threshold).isEqualTo(want);
        }
    }

    @Test
    void allKeepsEverythingAndNoneNothing() {
        SparseCodes codes = randomCodes(13);
        assertThat(StorePolicy.all().select(codes)).isEqualTo(codes);
        SparseCodes none = StorePolicy.none().select(codes);
        assertThat(none.rows()).isEqualTo(ROWS);
        assertThat(none.nnz()).isZero();
        assertThat(StorePolicy.none().storesNothing()).isTrue();
        assertThat(StorePolicy.all().storesNothing()).isFalse();
        assertThat(StorePolicy.all().storesEverything()).isTrue();
        assertThat(StorePolicy.none().storesEverything()).isFalse();
        assertThat(StorePolicy.parse("top-per-token 3").storesEverything()).isFalse();
        assertThat(StorePolicy.parse("min-activation 0.001").storesEverything()).isFalse();
    }

    @Test
    void textFormRoundTrips() {
        for (StorePolicy policy : List.of(
                StorePolicy.all(),
                StorePolicy.none(),
                StorePolicy.minActivation(0.5f),
                StorePolicy.minActivation(1.0e-4f),
                StorePolicy.topPerToken(3))) {
            assertThat(StorePolicy.parse(policy.toString())).isEqualTo(policy);
        }
        assertThat(StorePolicy.parse("  top-per-token   12 ")).isEqualTo(StorePolicy.topPerToken(12));
        assertThat(StorePolicy.parse("min-activation 2").toString()).isEqualTo("min-activation 2.0");
        assertThat(StorePolicy.parse("ALL")).isEqualTo(StorePolicy.all());
    }

    @Test
    void badTextIsNamedInTheError() {
        assertThatThrownBy(() -> StorePolicy.parse("some"))
                .hasMessageContaining("'some'")
                .hasMessageContaining("top-per-token N");
        assertThatThrownBy(() -> StorePolicy.parse("top-per-token"))
                .hasMessageContaining("'top-per-token'")
                .hasMessageContaining("is not one of");
        assertThatThrownBy(() -> StorePolicy.parse("top-per-token 2.5")).hasMessageContaining("'2.5'");
        assertThatThrownBy(() -> StorePolicy.parse("top-per-token 0")).hasMessageContaining("got 0");
        assertThatThrownBy(() -> StorePolicy.parse("min-activation abc")).hasMessageContaining("'abc'");
        assertThatThrownBy(() -> StorePolicy.parse("min-activation -1"))
                .hasMessageContaining("'min-activation -1'")
                .hasMessageContaining("got -1.0");
        assertThatThrownBy(() -> StorePolicy.parse("min-activation NaN")).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> StorePolicy.parse("all 3")).hasMessageContaining("'all 3'");
    }
}
