package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DownstreamSumsTest {

    @Test
    void sumsOfWindowsAddUpAndGiveTheMetricsOfTheirUnion() {
        // window a: CE clean 1, 2; sae 2, 3; zero 4, 4; KL sae 0.125, 0.25; zero 1, 2. window b: one prediction.
        // (binary fractions, so the float64 sums are exact)
        DownstreamSums a = new DownstreamSums(2, 3, 5, 8, 0.375, 3);
        DownstreamSums b = new DownstreamSums(1, 1, 1.5, 5, 0.25, 1);
        DownstreamSums total = a.plus(b);
        assertThat(total).isEqualTo(b.plus(a)).isEqualTo(new DownstreamSums(3, 4, 6.5, 13, 0.625, 4));
        assertThat(total.ceClean()).isCloseTo(4 / 3.0, within(1e-15));
        assertThat(total.deltaLmLoss()).isCloseTo((6.5 - 4) / 3, within(1e-15));
        assertThat(total.ceLossRecovered()).isCloseTo((13 - 6.5) / (13 - 4.0), within(1e-15));
        assertThat(total.klDivScore()).isCloseTo((4 - 0.625) / 4, within(1e-15));
        assertThat(total.metrics().keySet()).containsExactly(DownstreamSums.METRIC_NAMES);
        assertThat(total.metrics()).containsEntry("n_predictions", 3L).containsEntry("kl_zero", 4 / 3.0);
    }

    @Test
    void undefinedMetricsAreNull() {
        assertThat(DownstreamSums.EMPTY.metrics())
                .containsEntry("ce_clean", null)
                .containsEntry("ce_loss_recovered", null)
                .containsEntry("n_predictions", 0L);
    }
}
