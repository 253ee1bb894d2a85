package dev.scopeflow.schemas.results;

import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * Dictionary-level health of one SAE from its features' fire counts, computed the same way from in-memory
 * counts (sae-operators {@code FeatureStats.summary}) and from {@code feature_stats} rows read back
 * ({@link ResultsReader#evaluations}). A feature fires on a token when its activation is &gt; 0; density =
 * fire count / tokens; dead = never fired.
 *
 * @param features       features counted (d_sae, or the features with a stats row)
 * @param tokens         tokens counted
 * @param fires          fire counts summed over the features (active features summed over tokens)
 * @param dead           features that never fired
 * @param dense          features with density above {@code denseThreshold}
 * @param denseThreshold the density above which a feature counts as dense ({@link #DEFAULT_DENSE_THRESHOLD})
 * @param over1Percent   features with density &gt; {@link #ONE_PERCENT} (SAEBench freq_over_1_percent)
 * @param over10Percent  features with density &gt; {@link #TEN_PERCENT} (SAEBench freq_over_10_percent)
 */
public record SaeSummary(
        long features,
        long tokens,
        long fires,
        long dead,
        long dense,
        double denseThreshold,
        long over1Percent,
        long over10Percent) {

    /** SAEBench's fixed density thresholds. */
    public static final double ONE_PERCENT = 0.01;

    public static final double TEN_PERCENT = 0.1;
    /** "Dense" unless configured otherwise: SAEBench's 10 %. */
    public static final double DEFAULT_DENSE_THRESHOLD = TEN_PERCENT;

    /** {@code features} features that each fired {@code fireCount} times out of {@code tokens}. */
    public record FireCounts(long fireCount, long tokens, long features) {}

    /** From per-feature counts: feature {@code f} fired {@code fireCount.applyAsLong(f)} times out of {@code tokens}. */
    public static SaeSummary ofFeatures(int dSae, long tokens, IntToLongFunction fireCount, double denseThreshold) {
        Counter counter = new Counter(denseThreshold);
        for (int f = 0; f < dSae; f++) {
            counter.add(fireCount.applyAsLong(f), tokens, 1);
        }
        return counter.summary();
    }

    /** From fire counts grouped by (fire count, tokens), as {@code GROUP BY n_tokens, fire_count} returns them. */
    public static SaeSummary ofGroups(List<FireCounts> groups, double denseThreshold) {
        Counter counter = new Counter(denseThreshold);
        for (FireCounts g : groups) {
            counter.add(g.fireCount(), g.tokens(), g.features());
        }
        return counter.summary();
    }

    public long alive() {
        return features - dead;
    }

    /** Fraction of features that fired at least once (SAEBench frac_alive); NaN without features. */
    public double fracAlive() {
        return (double) alive() / features;
    }

    public double fracOver1Percent() {
        return (double) over1Percent / features;
    }

    public double fracOver10Percent() {
        return (double) over10Percent / features;
    }

    /** Mean number of features firing per token (L0 from fire counts); 0 without tokens. */
    public double meanL0() {
        return tokens == 0 ? 0 : (double) fires / tokens;
    }

    /** The one place the thresholds are applied. */
    private static final class Counter {
        private final double denseThreshold;
        private long features;
        private long tokens;
        private long fires;
        private long dead;
        private long dense;
        private long over1;
        private long over10;

        Counter(double denseThreshold) {
            if (!(denseThreshold >= 0 && denseThreshold <= 1)) {
                throw new IllegalArgumentException("denseThreshold must be in [0, 1], got " + denseThreshold);
            }
            this.denseThreshold = denseThreshold;
        }

        void add(long fireCount, long tokenCount, long featureCount) {
            if (fireCount < 0 || tokenCount < 0 || featureCount < 0) {
                throw new IllegalArgumentException("negative count: " + fireCount + " fires of " + tokenCount
                        + " tokens for " + featureCount + " features");
            }
            features += featureCount;
            tokens = Math.max(tokens, tokenCount); // one snapshot counts the same tokens for every feature
            fires += fireCount * featureCount;
            if (fireCount == 0) {
                dead += featureCount;
                return;
            }
            double density = (double) fireCount / tokenCount;
            dense += density > denseThreshold ? featureCount : 0;
            over1 += density > ONE_PERCENT ? featureCount : 0;
            over10 += density > TEN_PERCENT ? featureCount : 0;
        }

        SaeSummary summary() {
            return new SaeSummary(features, tokens, fires, dead, dense, denseThreshold, over1, over10);
        }
    }
}
