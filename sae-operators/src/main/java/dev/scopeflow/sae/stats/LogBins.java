package dev.scopeflow.sae.stats;

import java.util.Arrays;

/**
 * Fixed log-spaced bins over activations {@code > 0}: edges {@code e_i = (float) 10^(-3 + i / perDecade)} for
 * {@code i = 0 .. 6·perDecade} (1e-3 to 1e3). Bin 0 is the underflow {@code (0, e_0)}, bin {@code i} in
 * {@code 1 .. 6·perDecade} is {@code [e_(i-1), e_i)}, and the last bin is the overflow {@code [e_last, ∞)}.
 * Equivalently, a value's bin is the number of edges {@code <= value} (numpy
 * {@code searchsorted(edges, v, side="right")}). The bins never depend on the data, so accumulators built on
 * them merge exactly.
 */
final class LogBins {

    static final int MIN_EXPONENT = -3;
    static final int MAX_EXPONENT = 3;

    private final int perDecade;
    private final float[] edges;

    LogBins(int perDecade) {
        if (perDecade <= 0) {
            throw new IllegalArgumentException("bins per decade must be > 0, got " + perDecade);
        }
        this.perDecade = perDecade;
        this.edges = new float[(MAX_EXPONENT - MIN_EXPONENT) * perDecade + 1];
        for (int i = 0; i < edges.length; i++) {
            edges[i] = (float) Math.pow(10, MIN_EXPONENT + (double) i / perDecade);
        }
    }

    int perDecade() {
        return perDecade;
    }

    /** Underflow, the in-range bins, overflow. */
    int count() {
        return edges.length + 1;
    }

    /** Bin of an activation {@code > 0}. */
    int of(float activation) {
        int i = Arrays.binarySearch(edges, activation);
        return i >= 0 ? i + 1 : -i - 1;
    }

    /** Inclusive lower edge of {@code bin}; 0 for the underflow bin. */
    float lower(int bin) {
        return bin == 0 ? 0f : edges[bin - 1];
    }

    /** Exclusive upper edge of {@code bin}; +∞ for the overflow bin. */
    float upper(int bin) {
        return bin == edges.length ? Float.POSITIVE_INFINITY : edges[bin];
    }
}
