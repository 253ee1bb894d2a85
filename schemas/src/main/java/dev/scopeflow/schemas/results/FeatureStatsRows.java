package dev.scopeflow.schemas.results;

/**
 * {@code feature_stats} (V001): cumulative per-feature counts, a whole snapshot per version (tokens counted).
 */
public final class FeatureStatsRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "feature_stats",
            "run_id String",
            "sae_id String",
            "feature UInt32",
            "n_tokens UInt64",
            "fire_count UInt64",
            "act_sum Float64",
            "act_max Float32",
            "version UInt64");

    public FeatureStatsRows(int expectedRows) {
        super(TABLE, expectedRows * 64);
    }

    public FeatureStatsRows add(
            String runId,
            String saeId,
            long feature,
            long nTokens,
            long fireCount,
            double actSum,
            float actMax,
            long version) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint32(feature)
                .uint64(nTokens)
                .uint64(fireCount)
                .float64(actSum)
                .float32(actMax)
                .uint64(version);
        return this;
    }
}
