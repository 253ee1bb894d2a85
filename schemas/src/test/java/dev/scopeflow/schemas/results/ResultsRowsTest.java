package dev.scopeflow.schemas.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.Site;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each table's typed {@code add} puts every value under the column its description names. RowBinary rows are
 * decoded by a reader driven only by the declared column types, so a value written in the wrong place or with
 * the wrong width shows up under another name or as a leftover byte.
 */
class ResultsRowsTest {

    @Test
    void featureStatsValuesLandInTheirColumns() {
        byte[] bytes = new FeatureStatsRows(1)
                .add("run", "sae", 7, 100, 3, 1.25, 0.5f, 42)
                .toByteArray();
        assertThat(decode(FeatureStatsRows.TABLE, bytes))
                .containsExactly(Map.of(
                        "run_id",
                        "run",
                        "sae_id",
                        "sae",
                        "feature",
                        7L,
                        "n_tokens",
                        100L,
                        "fire_count",
                        3L,
                        "act_sum",
                        1.25,
                        "act_max",
                        0.5f,
                        "version",
                        42L));
    }

    @Test
    void topExamplesValuesLandInTheirColumns() {
        byte[] bytes = new TopExamplesRows(2)
                .add("r", "s", 0xffff_fffeL, 3, -9, 12, 2.5f, 8)
                .add("r2", "s2", 1, 1, 5, 6, 7f, 9)
                .toByteArray();
        assertThat(decode(TopExamplesRows.TABLE, bytes))
                .containsExactly(
                        Map.of(
                                "run_id",
                                "r",
                                "sae_id",
                                "s",
                                "feature",
                                0xffff_fffeL,
                                "rank",
                                3L,
                                "doc_id",
                                -9L,
                                "position",
                                12L,
                                "activation",
                                2.5f,
                                "version",
                                8L),
                        Map.of(
                                "run_id",
                                "r2",
                                "sae_id",
                                "s2",
                                "feature",
                                1L,
                                "rank",
                                1L,
                                "doc_id",
                                5L,
                                "position",
                                6L,
                                "activation",
                                7f,
                                "version",
                                9L));
    }

    @Test
    void histogramValuesLandInTheirColumns() {
        byte[] bytes = new FeatureHistogramsRows(1)
                .add("r", "s", 4, 11, 0.01f, 0.0125f, 77, 5)
                .toByteArray();
        assertThat(decode(FeatureHistogramsRows.TABLE, bytes))
                .containsExactly(Map.of(
                        "run_id",
                        "r",
                        "sae_id",
                        "s",
                        "feature",
                        4L,
                        "bin",
                        11L,
                        "lower_edge",
                        0.01f,
                        "upper_edge",
                        0.0125f,
                        "count",
                        77L,
                        "version",
                        5L));
    }

    @Test
    void intervalSampleValuesLandInTheirColumns() {
        byte[] bytes = new IntervalSamplesRows(1)
                .add("r", "s", 4, 2, 0.1f, 0.3f, 5, 1234, 56, 0.2f, 99)
                .toByteArray();
        Map<String, Object> row = new LinkedHashMap<>();
        row.putAll(Map.of(
                "run_id",
                "r",
                "sae_id",
                "s",
                "feature",
                4L,
                "interval_index",
                2L,
                "lower_edge",
                0.1f,
                "upper_edge",
                0.3f,
                "sample_rank",
                5L,
                "doc_id",
                1234L,
                "position",
                56L,
                "activation",
                0.2f));
        row.put("version", 99L);
        assertThat(decode(IntervalSamplesRows.TABLE, bytes)).containsExactly(row);
    }

    @Test
    void reconstructionValuesLandInTheirColumns() {
        byte[] bytes = new ReconstructionStatsRows()
                .add(
                        "r",
                        "s",
                        300,
                        1.5,
                        2.5,
                        3.5,
                        -2.5,
                        0.75,
                        0.875,
                        1.125,
                        300,
                        0.25,
                        new ReconstructionStatsRows.RawSums(4.5, 5.5, 6.5, -7.5, new double[] {0.125, -3}))
                .toByteArray();
        Map<String, Object> row = new LinkedHashMap<>();
        row.putAll(Map.of(
                "run_id",
                "r",
                "sae_id",
                "s",
                "n_tokens",
                300L,
                "l0",
                1.5,
                "mse",
                2.5,
                "fvu",
                3.5,
                "explained_variance",
                -2.5,
                "cosine",
                0.75,
                "l2_ratio",
                0.875,
                "relative_reconstruction_bias",
                1.125));
        row.put("version", 300L);
        row.put("mse_per_token", 0.25);
        row.put("sum_squared_error", 4.5);
        row.put("sum_input_norm_squared", 5.5);
        row.put("sum_recon_norm_squared", 6.5);
        row.put("sum_dot", -7.5);
        row.put("input_sums", List.of(0.125, -3.0));
        assertThat(decode(ReconstructionStatsRows.TABLE, bytes)).containsExactly(row);
    }

    @Test
    void activationStoreRowsFillBothTablesTokenByToken() {
        ActivationStoreRows rows = new ActivationStoreRows(4)
                .addToken("r", "s", 17, 40, -3, new int[] {7, 300, 99}, new float[] {1.75f, 0.5f, 9f}, 2)
                .addToken("r", "s", 17, 41, 5, new int[] {1}, new float[] {2f}, 0);
        assertThat(rows.count()).isEqualTo(2);
        assertThat(rows.bytes())
                .isEqualTo(rows.byFeature().bytes() + rows.byToken().bytes());
        assertThat(decode(FeatureActivationsRows.TABLE, rows.byFeature().toByteArray()))
                .extracting(row -> List.of(row.get("feature"), row.get("position"), row.get("activation")))
                .containsExactly(List.of(7L, 40L, 1.75f), List.of(300L, 40L, 0.5f));
        assertThat(decode(FeatureActivationsByTokenRows.TABLE, rows.byToken().toByteArray()))
                .containsExactly(Map.of(
                        "run_id",
                        "r",
                        "sae_id",
                        "s",
                        "doc_id",
                        17L,
                        "position",
                        40L,
                        "token_id",
                        (long) -3,
                        "features",
                        List.of(7L, 300L),
                        "activations",
                        List.of(1.75f, 0.5f)));
        assertThatThrownBy(() -> new ActivationStoreRows(4)
                        .addToken("r", "s", 1, 1, 1, new int[] {4, 4}, new float[] {1f, 1f}, 2))
                .hasMessageContaining("features must ascend within a token: 4 after 4 at doc 1 position 1");
        assertThatThrownBy(() -> rows.addToken("r", "s", 1, 1, 1, new int[] {4}, new float[] {1f}, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already written out");
    }

    /**
     * Tokens added in any order come out sorted by each table's key, strings compared as UTF-8 bytes as ClickHouse
     * does ("\uE000" sorts before an emoji there, after it in Java's UTF-16 order), so the server need not sort.
     */
    @Test
    void activationStoreRowsComeOutInEachTablesKeyOrder() {
        Random random = new Random(11);
        List<String> runs = List.of("run-b", "run-a");
        List<String> saes = List.of("\uE000", "\uD83D\uDE00", "sae");
        ActivationStoreRows rows = new ActivationStoreRows(8);
        List<List<Object>> activations = new ArrayList<>();
        List<List<Object>> tokens = new ArrayList<>();
        for (int t = 0; t < 300; t++) {
            String run = runs.get(random.nextInt(runs.size()));
            String sae = saes.get(random.nextInt(saes.size()));
            long doc = random.nextInt(5);
            long position = random.nextInt(1000);
            int[] features = random.ints(0, 70)
                    .distinct()
                    .limit(1 + random.nextInt(6))
                    .sorted()
                    .toArray();
            float[] values = new float[features.length];
            List<Object> featureList = new ArrayList<>();
            List<Object> valueList = new ArrayList<>();
            for (int i = 0; i < features.length; i++) {
                values[i] = random.nextFloat();
                activations.add(List.of(run, sae, (long) features[i], doc, position, (long) t, values[i]));
                featureList.add((long) features[i]);
                valueList.add(values[i]);
            }
            tokens.add(List.of(run, sae, doc, position, (long) t, featureList, valueList));
            rows.addToken(run, sae, doc, position, t, features, values, features.length);
        }
        Comparator<List<Object>> byKey = (a, b) -> {
            for (int i = 0; i < 2; i++) {
                int c = Arrays.compareUnsigned(
                        ((String) a.get(i)).getBytes(StandardCharsets.UTF_8),
                        ((String) b.get(i)).getBytes(StandardCharsets.UTF_8));
                if (c != 0) {
                    return c;
                }
            }
            for (int i = 2; i < 5; i++) {
                int c = Long.compare((Long) a.get(i), (Long) b.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };
        // (doc, position) repeat across tokens here, so rows equal in key may come in either order: check the order
        // by key, and the rows as a multiset.
        List<List<Object>> storedActivations = valuesInColumnOrder(FeatureActivationsRows.TABLE, rows.byFeature());
        assertThat(storedActivations).isSortedAccordingTo(byKey).containsExactlyInAnyOrderElementsOf(activations);
        List<List<Object>> storedTokens = valuesInColumnOrder(FeatureActivationsByTokenRows.TABLE, rows.byToken());
        Comparator<List<Object>> tokenKey = (a, b) -> byKey.compare(
                List.of(a.get(0), a.get(1), 0L, a.get(2), a.get(3)),
                List.of(b.get(0), b.get(1), 0L, b.get(2), b.get(3)));
        assertThat(storedTokens).isSortedAccordingTo(tokenKey).containsExactlyInAnyOrderElementsOf(tokens);
        assertThat(rows.bytes())
                .isEqualTo(rows.byFeature().bytes() + rows.byToken().bytes());
    }

    @Test
    void documentValuesLandInTheirColumns() {
        DocumentsRows rows = new DocumentsRows(1).add("r", 17, 512, new int[] {2, -1, 256000}, "ünï\ttext");
        assertThat(rows.count()).isEqualTo(1);
        assertThat(rows.bytes()).isEqualTo(rows.toByteArray().length);
        assertThat(decode(DocumentsRows.TABLE, rows.toByteArray()))
                .containsExactly(Map.of(
                        "run_id",
                        "r",
                        "doc_id",
                        17L,
                        "window_start",
                        512L,
                        "token_ids",
                        List.of(2, -1, 256000),
                        "text",
                        "ünï\ttext"));
    }

    @Test
    void textRowsFollowTheirColumnOrder() {
        Instant t1 = Instant.parse("2024-01-02T03:04:05Z");
        Instant t2 = Instant.parse("2024-06-07T08:09:10Z");
        Instant t3 = Instant.parse("2024-11-12T13:14:15Z");
        assertThat(named(
                        RunsRows.TABLE,
                        new RunsRows()
                                .add(
                                        "run",
                                        "model",
                                        List.of("res.20"),
                                        List.of("a", "b"),
                                        "corpus",
                                        9,
                                        "running",
                                        t1,
                                        t2,
                                        t3)
                                .rows()))
                .containsExactly(Map.of(
                        "run_id",
                        "run",
                        "model_id",
                        "model",
                        "sites",
                        List.of("res.20"),
                        "saes",
                        List.of("a", "b"),
                        "corpus",
                        "corpus",
                        "tokens",
                        9L,
                        "status",
                        "running",
                        "started_at",
                        t1,
                        "ended_at",
                        t2,
                        "updated_at",
                        t3));
        assertThat(named(
                        SaesRows.TABLE,
                        new SaesRows()
                                .add("sae", "res.20", "/p", "abc", "jumprelu", 2304, 16384, "np", t1)
                                .rows()))
                .containsExactly(Map.of(
                        "sae_id",
                        "sae",
                        "site",
                        "res.20",
                        "path",
                        "/p",
                        "sha256",
                        "abc",
                        "architecture",
                        "jumprelu",
                        "d_in",
                        2304L,
                        "d_sae",
                        16384L,
                        "neuronpedia_id",
                        "np",
                        "registered_at",
                        t1));
        assertThat(named(
                        RunProgressRows.TABLE,
                        new RunProgressRows().add("run", 5, 6, 7, t2, 8).rows()))
                .containsExactly(Map.of(
                        "run_id",
                        "run",
                        "records",
                        5L,
                        "tokens",
                        6L,
                        "dead_letters",
                        7L,
                        "updated_at",
                        t2,
                        "version",
                        8L));
        assertThat(named(
                        SiteProgressRows.TABLE,
                        new SiteProgressRows()
                                .add("run", "res.12", 5, 6, 7, t2, 11)
                                .rows()))
                .containsExactly(Map.of(
                        "run_id",
                        "run",
                        "site",
                        "res.12",
                        "records",
                        5L,
                        "tokens",
                        6L,
                        "dead_letters",
                        7L,
                        "updated_at",
                        t2,
                        "version",
                        11L));
        assertThat(named(
                        RunSitesRows.TABLE,
                        new RunSitesRows()
                                .add("run", Site.parse("att.3"), 2048, "model", t3)
                                .rows()))
                .containsExactly(Map.of(
                        "run_id", "run", "site", "att.3", "width", 2048L, "model_id", "model", "recorded_at", t3));
    }

    @Test
    void tablesNameTheirDatabaseAndRejectOddOnes() {
        assertThat(FeatureStatsRows.TABLE.in("scopeflow")).isEqualTo("scopeflow.feature_stats");
        assertThat(RunsRows.TABLE.columnNames()).startsWith("run_id", "model_id", "sites");
        assertThatThrownBy(() -> SaesRows.TABLE.in("x; DROP")).isInstanceOf(IllegalArgumentException.class);
    }

    /** TSV rows by column name, each value checked to be the Java type that column's ClickHouse type takes. */
    private static List<Map<String, Object>> named(ResultsTable table, List<List<Object>> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (List<Object> row : rows) {
            assertThat(row).hasSameSizeAs(table.columns());
            Map<String, Object> named = new LinkedHashMap<>();
            for (int c = 0; c < row.size(); c++) {
                ResultsTable.Column column = table.columns().get(c);
                Object value = row.get(c);
                Class<?> expected = switch (column.type()) {
                    case "String" -> String.class;
                    case "Array(String)" -> List.class;
                    case "DateTime('UTC')" -> Instant.class;
                    default -> Number.class;
                };
                assertThat(value).as(column.name()).isInstanceOf(expected);
                named.put(column.name(), value instanceof Number n ? (Object) n.longValue() : value);
            }
            out.add(named);
        }
        return out;
    }

    /** Each decoded row of {@code rows} as its values in {@code table}'s column order. */
    private static List<List<Object>> valuesInColumnOrder(ResultsTable table, RowBinaryRows rows) {
        return decode(table, rows.toByteArray()).stream()
                .map(row -> table.columnNames().stream().map(row::get).toList())
                .toList();
    }

    /** Decodes RowBinary rows using nothing but the table's declared column types. */
    private static List<Map<String, Object>> decode(ResultsTable table, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Map<String, Object>> rows = new ArrayList<>();
        while (in.hasRemaining()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (ResultsTable.Column column : table.columns()) {
                row.put(
                        column.name(),
                        switch (column.type()) {
                            case "String" -> {
                                byte[] text = new byte[leb128(in)];
                                in.get(text);
                                yield new String(text, StandardCharsets.UTF_8);
                            }
                            case "UInt16" -> (long) Short.toUnsignedInt(in.getShort());
                            case "UInt32" -> Integer.toUnsignedLong(in.getInt());
                            case "Int32" -> (long) in.getInt();
                            case "UInt64", "Int64" -> in.getLong();
                            case "Float32" -> in.getFloat();
                            case "Float64" -> in.getDouble();
                            case "Array(Int32)" -> {
                                int n = leb128(in);
                                List<Integer> values = new ArrayList<>(n);
                                for (int i = 0; i < n; i++) {
                                    values.add(in.getInt());
                                }
                                yield values;
                            }
                            case "Array(UInt32)" -> {
                                int n = leb128(in);
                                List<Long> values = new ArrayList<>(n);
                                for (int i = 0; i < n; i++) {
                                    values.add(Integer.toUnsignedLong(in.getInt()));
                                }
                                yield values;
                            }
                            case "Array(Float32)" -> {
                                int n = leb128(in);
                                List<Float> values = new ArrayList<>(n);
                                for (int i = 0; i < n; i++) {
                                    values.add(in.getFloat());
                                }
                                yield values;
                            }
                            case "Array(Float64)" -> {
                                int n = leb128(in);
                                List<Double> values = new ArrayList<>(n);
                                for (int i = 0; i < n; i++) {
                                    values.add(in.getDouble());
                                }
                                yield values;
                            }
                            default -> throw new AssertionError("no decoder for " + column);
                        });
            }
            rows.add(row);
        }
        return rows;
    }

    private static int leb128(ByteBuffer in) {
        int value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }
}
