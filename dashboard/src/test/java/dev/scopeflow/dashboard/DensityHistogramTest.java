package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DensityHistogramTest {

    @Test
    void binsAreQuarterDecades() {
        assertThat(DensityHistogram.bin(0.5)).isEqualTo(-2); // log10 = -0.30 → [-0.5, -0.25)
        assertThat(DensityHistogram.bin(0.05)).isEqualTo(-6); // -1.30 → [-1.5, -1.25)
        assertThat(DensityHistogram.bin(1.0)).isEqualTo(-1); // exactly 1 joins the last bin below it
        assertThat(DensityHistogram.lowerEdge(-4)).isEqualTo(0.1);
        assertThatThrownBy(() -> DensityHistogram.bin(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DensityHistogram.bin(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Every density lies in its bin's [lower, upper) edges: checked by comparison, not by logarithms. */
    @Test
    void everyDensityFallsBetweenItsBinEdges() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            long tokens = 1 + random.nextInt(1_000_000);
            long fires = 1 + (long) (random.nextDouble() * (tokens - 1));
            double density = (double) fires / tokens;
            int bin = DensityHistogram.bin(density);
            assertThat(density).isGreaterThanOrEqualTo(DensityHistogram.lowerEdge(bin) * (1 - 1e-12));
            if (density < 1) {
                assertThat(density).isLessThan(DensityHistogram.lowerEdge(bin + 1) * (1 + 1e-12));
            }
        }
    }

    @Test
    void deadFeaturesAreCountedApartAndEmptyBinsInBetweenAreKept() {
        DensityHistogram histogram = new DensityHistogram();
        histogram.add(0, 1000, 7); // dead
        histogram.add(1, 1000, 3); // 1e-3 → bin -12
        histogram.add(500, 1000, 2); // 0.5 → bin -2
        histogram.add(2, 1000, 1); // 2e-3: log10 = -2.70 → bin -11
        assertThat(histogram.dead()).isEqualTo(7);
        List<BarChart.Bar> bars = histogram.bars();
        assertThat(bars).hasSize(11); // bins -12 .. -2
        assertThat(bars.get(0).count()).isEqualTo(3);
        assertThat(bars.get(1).count()).isEqualTo(1);
        assertThat(bars.get(10).count()).isEqualTo(2);
        assertThat(bars.stream().mapToLong(BarChart.Bar::count).sum()).isEqualTo(6);
        assertThat(bars.get(0).label()).isEqualTo("log10 density -3.00 to -2.75");
    }
}
