package dev.scopeflow.dashboard;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An inline SVG bar chart: one bar per bin, heights proportional to the counts (the tallest bar fills the plot),
 * a tooltip per bar and the first and last labels under the axis. No scripts, nothing fetched.
 */
public final class BarChart {

    /** One bar: its label (shown as a tooltip) and its count. */
    public record Bar(String label, long count) {
        public Bar {
            Objects.requireNonNull(label, "label");
            if (count < 0) {
                throw new IllegalArgumentException("bar '" + label + "' has a negative count: " + count);
            }
        }
    }

    static final int WIDTH = 640;
    static final int PLOT_HEIGHT = 160;
    private static final int LABEL_HEIGHT = 34;

    private BarChart() {}

    /** The height in pixels of a bar of {@code count} when the tallest bar is {@code maxCount}. */
    public static double barHeight(long count, long maxCount, int plotHeight) {
        return maxCount <= 0 ? 0 : (double) count / maxCount * plotHeight;
    }

    /** The SVG for {@code bars}; {@code axisLabel} names the x axis. An empty list gives a short note instead. */
    public static String svg(List<Bar> bars, String axisLabel) {
        if (bars.isEmpty()) {
            return "<p class=\"note\">No data for this chart.</p>";
        }
        long max = bars.stream().mapToLong(Bar::count).max().orElse(0);
        double slot = (double) WIDTH / bars.size();
        double gap = Math.min(2, slot / 5);
        StringBuilder svg = new StringBuilder(256 + bars.size() * 160);
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
                WIDTH,
                PLOT_HEIGHT + LABEL_HEIGHT,
                WIDTH,
                PLOT_HEIGHT + LABEL_HEIGHT,
                Html.escape(axisLabel)));
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double height = barHeight(bar.count(), max, PLOT_HEIGHT);
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" data-count=\"%d\"><title>%s: %d</title></rect>",
                    i * slot + gap / 2,
                    PLOT_HEIGHT - height,
                    slot - gap,
                    height,
                    bar.count(),
                    Html.escape(bar.label()),
                    bar.count()));
        }
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>",
                PLOT_HEIGHT,
                WIDTH,
                PLOT_HEIGHT));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"0\" y=\"%d\">%s</text>",
                PLOT_HEIGHT + 14,
                Html.escape(bars.get(0).label())));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
                WIDTH,
                PLOT_HEIGHT + 14,
                Html.escape(bars.get(bars.size() - 1).label())));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s (max %d)</text>",
                WIDTH / 2,
                PLOT_HEIGHT + 30,
                Html.escape(axisLabel),
                max));
        return svg.append("</svg>").toString();
    }
}
