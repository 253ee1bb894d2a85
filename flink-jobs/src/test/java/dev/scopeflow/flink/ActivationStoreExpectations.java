package dev.scopeflow.flink;

import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.results.FeatureActivationsByTokenRows;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.ResultsTable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What the activation store should hold for one SAE, computed without the job or {@code StorePolicy}: the SAE
 * loaded by sae-operators encodes one token at a time, pad, EOS and BOS rows (ids 0, 1, 2) are skipped, and each
 * policy's selection is brute force over the token's active features. Also the reads of what the store holds,
 * so the fault-tolerance tests can compare the whole table after a failure.
 */
public final class ActivationStoreExpectations {

    private ActivationStoreExpectations() {}

    /** Gemma 2's pad, EOS and BOS, written out here rather than taken from the code under test. */
    private static final Set<Integer> EXCLUDED_TOKENS = Set.of(0, 1, 2);

    /** One stored activation; {@code activation} compared bit for bit by the record's equality. */
    public record Row(long feature, long docId, long position, int tokenId, float activation) {
        @Override
        public String toString() {
            return "f" + feature + "@" + docId + "/" + position + " token " + tokenId + " = " + activation;
        }
    }

    /** Table order: feature, doc, position. */
    private static final Comparator<Row> TABLE_ORDER =
            Comparator.comparingLong(Row::feature).thenComparingLong(Row::docId).thenComparingLong(Row::position);

    /** Every non-zero activation of the counted tokens of {@code batches}, in table order. */
    public static List<Row> expectedRows(SaeSpec spec, List<ActivationBatch> batches) throws Exception {
        return expectedRows(spec, batches, UnaryOperator.identity());
    }

    /**
     * The rows a policy keeps: {@code perToken} gets one token's rows (in feature order) and returns those kept,
     * e.g. {@link #topPerToken} or {@link #minActivation}.
     */
    public static List<Row> expectedRows(SaeSpec spec, List<ActivationBatch> batches, UnaryOperator<List<Row>> perToken)
            throws Exception {
        List<Row> rows = new ArrayList<>();
        try (JumpReluSae sae = JumpReluSae.loadGemmaScope(Path.of(spec.path()))) {
            for (ActivationBatch batch : batches) {
                for (int r = 0; r < batch.rows(); r++) {
                    if (EXCLUDED_TOKENS.contains(batch.tokenId(r))) {
                        continue;
                    }
                    float[] x = new float[batch.width()];
                    System.arraycopy(batch.values(), r * batch.width(), x, 0, batch.width());
                    float[] dense = sae.encode(x, 1).toDense();
                    List<Row> token = new ArrayList<>();
                    for (int f = 0; f < dense.length; f++) {
                        if (dense[f] != 0f) {
                            token.add(new Row(f, batch.docId(r), batch.position(r), batch.tokenId(r), dense[f]));
                        }
                    }
                    rows.addAll(perToken.apply(token));
                }
            }
        }
        rows.sort(TABLE_ORDER);
        return rows;
    }

    /** A token's {@code n} largest activations by sorting them all, ties to the lower feature. */
    public static UnaryOperator<List<Row>> topPerToken(int n) {
        return token -> token.stream()
                .sorted(Comparator.comparing((Row row) -> -row.activation()).thenComparingLong(Row::feature))
                .limit(n)
                .toList();
    }

    /** A token's activations {@code >= threshold}. */
    public static UnaryOperator<List<Row>> minActivation(float threshold) {
        return token ->
                token.stream().filter(row -> row.activation() >= threshold).toList();
    }

    /**
     * The rows of one (run, SAE) in {@code feature_activations} or in {@code feature_activations_by_token} (unnested
     * to one row per activation), read with FINAL (the documented read) or without (every copy a replay wrote,
     * before merges), in table order of {@code feature_activations}. Read through JDBC, whose RowBinary transport
     * keeps Float32 bit-exact.
     */
    public static List<Row> storedRows(
            Connection jdbc, String db, ResultsTable table, String runId, String saeId, boolean useFinal)
            throws Exception {
        String from = table.equals(FeatureActivationsByTokenRows.TABLE)
                ? FeatureActivationsByTokenRows.asRows(db, useFinal)
                : table.in(db) + (useFinal ? " FINAL" : "");
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement("SELECT feature, doc_id, position, token_id, activation"
                + " FROM " + from + " WHERE run_id = ? AND sae_id = ? ORDER BY feature, doc_id, position")) {
            query.setString(1, runId);
            query.setString(2, saeId);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getInt(4), rs.getFloat(5)));
                }
            }
        }
        return rows;
    }

    /** {@link #storedRows} of {@code feature_activations} with FINAL: what the documented queries see. */
    public static List<Row> storedRows(Connection jdbc, String db, String runId, String saeId) throws Exception {
        return storedRows(jdbc, db, FeatureActivationsRows.TABLE, runId, saeId, true);
    }
}
