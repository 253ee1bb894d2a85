package dev.scopeflow.schemas.results;

/** {@code feature_histograms} (V003): the non-empty bins of each firing feature's activation histogram. */
public final class FeatureHistogramsRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "feature_histograms",
            "run_id String",
            "sae_id String",
            "feature UInt32",
            "bin UInt16",
            "lower_edge Float32",
            "upper_edge Float32",
            "count UInt64",
            "version UInt64");

    public FeatureHistogramsRows(int expectedRows) {
        super(TABLE, expectedRows * 64);
    }

    public FeatureHistogramsRows add(
            String runId,
            String saeId,
            long feature,
            int bin,
            float lowerEdge,
            float upperEdge,
            long count,
            long version) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint32(feature)
                .uint16(bin)
                .float32(lowerEdge)
                .float32(upperEdge)
                .uint64(count)
                .uint64(version);
        return this;
    }
}
