package dev.scopeflow.dashboard;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.NamedQueries;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's reads of the activation store: each one a {@link NamedQueries named query} (the SQL is defined
 * there once, for {@code scopeflow query} and the dashboard alike), its text rows turned into records by column
 * name.
 */
final class ActivationStore {

    /** One token of a feature's top window: its position in the document, id, and the feature's value there. */
    record WindowToken(long position, int tokenId, float activation) {}

    /** A top example's window: rank, document, the example's position and every token around it. */
    record Window(int rank, long docId, long topPosition, List<WindowToken> tokens) {}

    record TokenCount(int tokenId, long fires, double meanActivation, float maxActivation) {}

    record CoFiring(long feature, long coFires, long fires, long featureFires, double jaccard) {}

    /** A feature's stored value at a token. */
    record FeatureValue(long feature, float activation) {}

    private final ClickHouseHttp clickHouse;
    private final String database;

    ActivationStore(ClickHouseHttp clickHouse, String database) {
        this.clickHouse = clickHouse;
        this.database = database;
    }

    /** {@code feature-windows}: the feature's top {@code windows} examples, {@code width} tokens either side. */
    List<Window> featureWindows(String runId, String saeId, long feature, int windows, int width) {
        Rows rows = run(
                "feature-windows",
                Map.of(
                        "run", runId,
                        "sae", saeId,
                        "feature", String.valueOf(feature),
                        "windows", String.valueOf(windows),
                        "width", String.valueOf(width)));
        Map<Integer, Window> byRank = new LinkedHashMap<>();
        for (int r = 0; r < rows.size(); r++) {
            int rank = rows.integer(r, "rank");
            long docId = rows.longValue(r, "doc_id");
            long topPosition = rows.longValue(r, "top_position");
            byRank.computeIfAbsent(rank, k -> new Window(rank, docId, topPosition, new ArrayList<>()))
                    .tokens()
                    .add(new WindowToken(
                            rows.longValue(r, "position"), rows.integer(r, "token_id"), rows.real32(r, "activation")));
        }
        return List.copyOf(byRank.values());
    }

    /** {@code feature-tokens}: the {@code n} token ids the feature fires on most. */
    List<TokenCount> featureTokens(String runId, String saeId, long feature, int n) {
        Rows rows = run("feature-tokens", featureArguments(runId, saeId, feature, n));
        List<TokenCount> counts = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            counts.add(new TokenCount(
                    rows.integer(r, "token_id"),
                    rows.longValue(r, "fires"),
                    rows.real(r, "mean_activation"),
                    rows.real32(r, "max_activation")));
        }
        return counts;
    }

    /** {@code co-occurring-features}: the {@code n} features firing on most of this feature's tokens. */
    List<CoFiring> coOccurringFeatures(String runId, String saeId, long feature, int n) {
        Rows rows = run("co-occurring-features", featureArguments(runId, saeId, feature, n));
        List<CoFiring> features = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            features.add(new CoFiring(
                    rows.longValue(r, "feature"),
                    rows.longValue(r, "co_fires"),
                    rows.longValue(r, "fires"),
                    rows.longValue(r, "f_fires"),
                    rows.real(r, "jaccard")));
        }
        return features;
    }

    /** {@code features-at-token}: every feature stored at one token, highest first. */
    List<FeatureValue> featuresAtToken(String runId, String saeId, long docId, long position) {
        Rows rows = run(
                "features-at-token",
                Map.of("run", runId, "sae", saeId, "doc", String.valueOf(docId), "position", String.valueOf(position)));
        List<FeatureValue> values = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            values.add(new FeatureValue(rows.longValue(r, "feature"), rows.real32(r, "activation")));
        }
        return values;
    }

    /** {@code top-features-per-token} with n = 1: each position's strongest feature, positions without none. */
    Map<Long, FeatureValue> strongestFeatures(String runId, String saeId, long docId, long from, long to) {
        Rows rows = run(
                "top-features-per-token",
                Map.of(
                        "run",
                        runId,
                        "sae",
                        saeId,
                        "doc",
                        String.valueOf(docId),
                        "from",
                        String.valueOf(from),
                        "to",
                        String.valueOf(to),
                        "n",
                        "1"));
        Map<Long, FeatureValue> strongest = new LinkedHashMap<>();
        for (int r = 0; r < rows.size(); r++) {
            strongest.put(
                    rows.longValue(r, "position"),
                    new FeatureValue(rows.longValue(r, "feature"), rows.real32(r, "activation")));
        }
        return strongest;
    }

    private static Map<String, String> featureArguments(String runId, String saeId, long feature, int n) {
        return Map.of("run", runId, "sae", saeId, "feature", String.valueOf(feature), "n", String.valueOf(n));
    }

    private Rows run(String query, Map<String, String> arguments) {
        return new Rows(NamedQueries.named(query).run(clickHouse, database, arguments));
    }

    /** A result's fields by column name, so that a column the query adds or moves does not shift the others. */
    private record Rows(QueryResult result) {
        int size() {
            return result.rows().size();
        }

        String text(int row, String column) {
            int index = result.columns().indexOf(column);
            if (index < 0) {
                throw new IllegalStateException(
                        "the named query's result has no column '" + column + "', only " + result.columns());
            }
            return result.rows().get(row).get(index);
        }

        long longValue(int row, String column) {
            return Long.parseLong(text(row, column));
        }

        int integer(int row, String column) {
            return Integer.parseInt(text(row, column));
        }

        /** A Float32 column: the text ClickHouse writes is the shortest that reads back as the same float. */
        float real32(int row, String column) {
            return (float) real(row, column);
        }

        double real(int row, String column) {
            return ClickHouseTsv.parseReal(text(row, column));
        }
    }
}
