package dev.scopeflow.schemas.results;

/**
 * {@code feature_activations} (V006): one row per stored (token, feature) non-zero SAE activation; the view
 * {@code feature_activations_by_token_mv} copies every insert into {@link #BY_TOKEN}, ordered by token.
 */
public final class FeatureActivationsRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "feature_activations",
            "run_id String",
            "sae_id String",
            "feature UInt32",
            "doc_id Int64",
            "position UInt32",
            "token_id Int32",
            "activation Float32");

    /** The same rows ordered (run, SAE, doc, position, feature); written only by the view. */
    public static final ResultsTable BY_TOKEN = ResultsTable.of(
            "feature_activations_by_token",
            "run_id String",
            "sae_id String",
            "doc_id Int64",
            "position UInt32",
            "feature UInt32",
            "token_id Int32",
            "activation Float32");

    public FeatureActivationsRows(int expectedRows) {
        super(TABLE, expectedRows * 40);
    }

    public FeatureActivationsRows add(
            String runId, String saeId, long feature, long docId, long position, int tokenId, float activation) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint32(feature)
                .int64(docId)
                .uint32(position)
                .int32(tokenId)
                .float32(activation);
        return this;
    }
}
