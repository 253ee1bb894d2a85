package dev.scopeflow.sae.stats;

/**
 * Dictionary-level health of one SAE, derived from its {@link FeatureStats} (which is the mergeable,
 * serialized state: summaries of merged stats are summaries of the whole). Density = fire count / tokens.
 *
 * @param dSae          features in the dictionary
 * @param tokens        tokens counted
 * @param dead          features that never fired
 * @param dense         features with density above {@code denseThreshold}
 * @param denseThreshold the density above which a feature counts as dense (default 0.1)
 * @param fracAlive     fraction of features that fired at least once (SAEBench frac_alive)
 * @param fracOver1Percent  fraction with density > 0.01 (SAEBench freq_over_1_percent)
 * @param fracOver10Percent fraction with density > 0.1 (SAEBench freq_over_10_percent)
 */
public record SaeSummary(int dSae, long tokens, int dead, int dense, double denseThreshold, double fracAlive,
                         double fracOver1Percent, double fracOver10Percent) {

    public static final double DEFAULT_DENSE_THRESHOLD = 0.1;

    public static SaeSummary of(FeatureStats stats) {
        return of(stats, DEFAULT_DENSE_THRESHOLD);
    }

    public static SaeSummary of(FeatureStats stats, double denseThreshold) {
        if (!(denseThreshold >= 0 && denseThreshold <= 1)) {
            throw new IllegalArgumentException("denseThreshold must be in [0, 1], got " + denseThreshold);
        }
        int dSae = stats.dSae();
        long tokens = stats.tokens();
        int dead = 0;
        int dense = 0;
        int over1 = 0;
        int over10 = 0;
        for (int f = 0; f < dSae; f++) {
            long fires = stats.fireCount(f);
            if (fires == 0) {
                dead++;
                continue;
            }
            double density = (double) fires / tokens;
            if (density > denseThreshold) dense++;
            if (density > 0.01) over1++;
            if (density > 0.1) over10++;
        }
        return new SaeSummary(dSae, tokens, dead, dense, denseThreshold, (double) (dSae - dead) / dSae,
                (double) over1 / dSae, (double) over10 / dSae);
    }
}
