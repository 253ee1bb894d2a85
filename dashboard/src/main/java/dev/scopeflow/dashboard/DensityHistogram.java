package dev.scopeflow.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Feature densities binned on a log10 scale, {@value #BINS_PER_DECADE} bins per decade, as SAEBench and
 * Neuronpedia plot them; dead features (density 0) have no logarithm and are counted apart. Bin {@code k}
 * holds densities in [10^(k/B), 10^((k+1)/B)); a density of exactly 1 goes into the last bin below 1.
 */
public final class DensityHistogram {

    public static final int BINS_PER_DECADE = 4;

    /** Densities in bin order: bin index → feature count. */
    private final TreeMap<Integer, Long> counts = new TreeMap<>();

    private long dead;

    /** Adds {@code features} features that fired {@code fireCount} times out of {@code tokens}. */
    public void add(long fireCount, long tokens, long features) {
        if (fireCount <= 0 || tokens <= 0) {
            dead += features;
            return;
        }
        counts.merge(bin((double) fireCount / tokens), features, Long::sum);
    }

    /** The bin of a density in (0, 1]. */
    public static int bin(double density) {
        if (!(density > 0) || density > 1) {
            throw new IllegalArgumentException("density must be in (0, 1], got " + density);
        }
        int k = (int) Math.floor(Math.log10(density) * BINS_PER_DECADE);
        return Math.min(k, -1);
    }

    /** The lower edge of bin {@code k}: 10^(k/B). */
    public static double lowerEdge(int bin) {
        return Math.pow(10, (double) bin / BINS_PER_DECADE);
    }

    public long dead() {
        return dead;
    }

    /** Features in bin {@code k}. */
    public long count(int bin) {
        return counts.getOrDefault(bin, 0L);
    }

    /** Bars from the lowest non-empty bin to the highest, empty bins included so the x axis stays linear. */
    public List<BarChart.Bar> bars() {
        List<BarChart.Bar> bars = new ArrayList<>();
        if (counts.isEmpty()) {
            return bars;
        }
        for (int k = counts.firstKey(); k <= counts.lastKey(); k++) {
            bars.add(new BarChart.Bar(
                    String.format(
                            Locale.ROOT,
                            "log10 density %.2f to %.2f",
                            (double) k / BINS_PER_DECADE,
                            (double) (k + 1) / BINS_PER_DECADE),
                    count(k)));
        }
        return bars;
    }
}
