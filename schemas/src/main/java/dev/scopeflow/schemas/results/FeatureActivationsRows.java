package dev.scopeflow.schemas.results;

/**
 * {@code feature_activations} (V006): one row per stored (token, feature) non-zero SAE activation, in feature
 * order. The same activations by token are {@link FeatureActivationsByTokenRows}; whoever writes one writes both.
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
