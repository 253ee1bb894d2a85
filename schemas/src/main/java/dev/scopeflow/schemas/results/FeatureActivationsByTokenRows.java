package dev.scopeflow.schemas.results;

/**
 * {@code feature_activations_by_token} (V006): the activations of {@link FeatureActivationsRows} by token, one
 * row per token with at least one stored activation: its features ascending and their values in two parallel
 * arrays. {@link #asRows} reads it back as one row per activation, in {@code feature_activations}' columns.
 */
public final class FeatureActivationsByTokenRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "feature_activations_by_token",
            "run_id String",
            "sae_id String",
            "doc_id Int64",
            "position UInt32",
            "token_id Int32",
            "features Array(UInt32)",
            "activations Array(Float32)");

    public FeatureActivationsByTokenRows(int expectedTokens) {
        super(TABLE, expectedTokens * 48);
    }

    /**
     * One token's stored activations: {@code features[0..count)} ascending, {@code activations[i]} the value of
     * {@code features[i]}; {@code count} > 0.
     */
    public FeatureActivationsByTokenRows add(
            String runId,
            String saeId,
            long docId,
            long position,
            int tokenId,
            int[] features,
            float[] activations,
            int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("a by-token row holds at least one activation, got " + count);
        }
        nextRow()
                .string(runId)
                .string(saeId)
                .int64(docId)
                .uint32(position)
                .int32(tokenId)
                .uint32Array(features, count)
                .float32Array(activations, count);
        return this;
    }

    /**
     * A FROM clause over the table unnested to one row per activation, with the columns {@code feature} and
     * {@code activation} beside the token's: {@code feature_activations}' rows, in another order.
     */
    public static String asRows(String database, boolean useFinal) {
        return TABLE.in(database) + (useFinal ? " FINAL" : "")
                + " ARRAY JOIN features AS feature, activations AS activation";
    }
}
