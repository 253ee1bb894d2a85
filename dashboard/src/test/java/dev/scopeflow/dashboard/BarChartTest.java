package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BarChartTest {

    @Test
    void barHeightsAreProportionalToCountsWithTheTallestFillingThePlot() {
        assertThat(BarChart.barHeight(50, 200, 160)).isEqualTo(40.0);
        assertThat(BarChart.barHeight(200, 200, 160)).isEqualTo(160.0);
        assertThat(BarChart.barHeight(0, 200, 160)).isZero();
        assertThat(BarChart.barHeight(0, 0, 160)).isZero();
    }

    @Test
    void svgHasOneRectPerBarSittingOnTheAxis() {
        String svg = BarChart.svg(
                List.of(new BarChart.Bar("a", 1), new BarChart.Bar("b", 4), new BarChart.Bar("c", 0)), "x");
        Matcher rect = Pattern.compile("<rect x=\"([\\d.]+)\" y=\"([\\d.]+)\" width=\"([\\d.]+)\" height=\"([\\d.]+)\"")
                .matcher(svg);
        double[] expectedHeights = {40, 160, 0};
        for (int i = 0; i < 3; i++) {
            assertThat(rect.find()).isTrue();
            double y = Double.parseDouble(rect.group(2));
            double height = Double.parseDouble(rect.group(4));
            assertThat(height).isCloseTo(expectedHeights[i], within(0.01));
            assertThat(y + height).isCloseTo(BarChart.PLOT_HEIGHT, within(0.01));
            // slots of WIDTH / 3, in order
            assertThat(Double.parseDouble(rect.group(1)))
                    .isBetween(i * BarChart.WIDTH / 3.0, (i + 1) * BarChart.WIDTH / 3.0);
        }
        assertThat(rect.find()).isFalse();
        assertThat(svg).startsWith("<svg").endsWith("</svg>").doesNotContain("<script");
    }

    @Test
    void labelsAreEscaped() {
        String svg = BarChart.svg(List.of(new BarChart.Bar("<b>&", 1)), "<axis>");
        assertThat(svg).contains("&lt;b&gt;&amp;").contains("&lt;axis&gt;").doesNotContain("<b>");
    }

    @Test
    void emptyChartIsANoteAndNegativeCountsAreRejected() {
        assertThat(BarChart.svg(List.of(), "x")).contains("No data");
        assertThatThrownBy(() -> new BarChart.Bar("a", -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
