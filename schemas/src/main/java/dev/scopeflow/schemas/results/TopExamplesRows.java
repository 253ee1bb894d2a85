package dev.scopeflow.schemas.results;

/** {@code top_examples} (V002): the k highest activations per feature, rank 1 first. */
public final class TopExamplesRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "top_examples",
            "run_id String",
            "sae_id String",
            "feature UInt32",
            "rank UInt16",
            "doc_id Int64",
            "position UInt32",
            "activation Float32",
            "version UInt64");

    public TopExamplesRows(int expectedRows) {
        super(TABLE, expectedRows * 64);
    }

    public TopExamplesRows add(
            String runId,
            String saeId,
            long feature,
            int rank,
            long docId,
            long position,
            float activation,
            long version) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint32(feature)
                .uint16(rank)
                .int64(docId)
                .uint32(position)
                .float32(activation)
                .uint64(version);
        return this;
    }
}
