package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShadingTest {

    @Test
    void opacityIsTheShareOfTheStrongestClampedToOne() {
        Shading shading = new Shading(4);
        assertThat(shading.opacity(4)).isEqualTo(1);
        assertThat(shading.opacity(1)).isEqualTo(0.25);
        assertThat(shading.opacity(1.0 / 3 * 4)).isEqualTo(0.33);
        assertThat(shading.opacity(9)).isEqualTo(1);
        assertThat(shading.opacity(0)).isZero();
        assertThat(shading.style(2)).isEqualTo("background:rgba(255,140,0,0.50)");
    }

    @Test
    void nothingToCompareAgainstShadesNothing() {
        assertThat(new Shading(0).opacity(3)).isZero();
        assertThat(new Shading(Double.NaN).opacity(3)).isZero();
        assertThat(new Shading(Double.POSITIVE_INFINITY).opacity(3)).isZero();
        assertThat(new Shading(2).opacity(Double.NaN)).isZero();
        assertThat(new Shading(2).opacity(-1)).isZero();
    }
}
