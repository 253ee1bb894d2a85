package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;

/**
 * The activation store's two tables filled together, token by token, so that they always hold the same
 * activations: {@code feature_activations} gets one row per activation, {@code feature_activations_by_token} one
 * row per token. Not thread-safe.
 */
public final class ActivationStoreRows {

    private final FeatureActivationsRows byFeature;
    private final FeatureActivationsByTokenRows byToken;

    public ActivationStoreRows(int expectedActivations) {
        byFeature = new FeatureActivationsRows(expectedActivations);
        byToken = new FeatureActivationsByTokenRows(Math.max(16, expectedActivations / 32));
    }

    /**
     * One token's stored activations: {@code features[0..count)} ascending, {@code activations[i]} the value of
     * {@code features[i]}. A token with none ({@code count} 0) has no row in either table.
     */
    public ActivationStoreRows addToken(
            String runId,
            String saeId,
            long docId,
            long position,
            int tokenId,
            int[] features,
            float[] activations,
            int count) {
        if (count == 0) {
            return this;
        }
        for (int i = 0; i < count; i++) {
            if (i > 0 && features[i] <= features[i - 1]) {
                throw new IllegalArgumentException("features must ascend within a token: " + features[i] + " after "
                        + features[i - 1] + " at doc " + docId + " position " + position);
            }
            byFeature.add(runId, saeId, features[i], docId, position, tokenId, activations[i]);
        }
        byToken.add(runId, saeId, docId, position, tokenId, features, activations, count);
        return this;
    }

    /** Rows of {@code feature_activations}: one per activation. */
    public FeatureActivationsRows byFeature() {
        return byFeature;
    }

    /** Rows of {@code feature_activations_by_token}: one per token. */
    public FeatureActivationsByTokenRows byToken() {
        return byToken;
    }

    /** Activations buffered. */
    public int count() {
        return byFeature.count();
    }

    /** Bytes buffered in both tables. */
    public int bytes() {
        return byFeature.bytes() + byToken.bytes();
    }

    /** Inserts both tables' rows, {@code feature_activations} first. */
    public void insertInto(ClickHouseHttp clickHouse, String database) {
        byFeature.insertInto(clickHouse, database);
        byToken.insertInto(clickHouse, database);
    }
}
