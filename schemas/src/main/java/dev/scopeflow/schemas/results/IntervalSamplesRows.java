package dev.scopeflow.schemas.results;

/** {@code interval_samples} (V003): examples spread over each firing feature's activation intervals. */
public final class IntervalSamplesRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "interval_samples",
            "run_id String",
            "sae_id String",
            "feature UInt32",
            "interval_index UInt16",
            "lower_edge Float32",
            "upper_edge Float32",
            "sample_rank UInt16",
            "doc_id Int64",
            "position UInt32",
            "activation Float32",
            "version UInt64");

    public IntervalSamplesRows(int expectedRows) {
        super(TABLE, expectedRows * 72);
    }

    public IntervalSamplesRows add(
            String runId,
            String saeId,
            long feature,
            int intervalIndex,
            float lowerEdge,
            float upperEdge,
            int sampleRank,
            long docId,
            long position,
            float activation,
            long version) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint32(feature)
                .uint16(intervalIndex)
                .float32(lowerEdge)
                .float32(upperEdge)
                .uint16(sampleRank)
                .int64(docId)
                .uint32(position)
                .float32(activation)
                .uint64(version);
        return this;
    }
}
