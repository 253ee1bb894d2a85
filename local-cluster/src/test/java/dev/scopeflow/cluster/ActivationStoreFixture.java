package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.ActivationStoreRows;
import dev.scopeflow.schemas.results.DocumentsRows;
import dev.scopeflow.schemas.results.TopExamplesRows;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A small random activation store (a few documents, a few hundred tokens, 64 features, skewed so that some
 * features are dense, half the values on a 0.25 grid so that ties occur) held in memory, written to ClickHouse
 * with a share of rows written twice as a replay would, and the named queries' answers computed from the memory
 * copy by brute force. Rows of another run and another SAE are written too, which no query of
 * {@link #RUN}/{@link #SAE} may see. Shared with cli's tests through this module's test jar.
 */
public final class ActivationStoreFixture {

    public static final String RUN = "run-q";
    public static final String SAE = "sae-q";
    public static final int D_SAE = 64;
    /** Top examples kept per feature, as the job's top-k would. */
    public static final int TOP_K = 6;

    static final int WINDOW = 64;
    private static final int VOCAB = 40;

    /** One stored activation. */
    public record Activation(int feature, long doc, int position, int tokenId, float activation) {}

    /** A top example of a feature. */
    public record TopExample(int feature, int rank, long doc, int position, float activation) {}

    private final Map<Long, int[]> documents = new LinkedHashMap<>();
    private final List<Activation> activations = new ArrayList<>();
    private final List<TopExample> topExamples = new ArrayList<>();
    private final Random random;

    public ActivationStoreFixture(long seed) {
        random = new Random(seed);
        for (long doc : new long[] {-3, 0, 7, 12}) {
            int[] tokens = new int[50 + random.nextInt(90)];
            for (int p = 0; p < tokens.length; p++) {
                tokens[p] = random.nextInt(VOCAB);
            }
            documents.put(doc, tokens);
            for (int p = 0; p < tokens.length; p++) {
                Set<Integer> features = new HashSet<>();
                int l0 = random.nextInt(7);
                while (features.size() < l0) {
                    double u = random.nextDouble();
                    features.add((int) (D_SAE * u * u)); // low indices fire often
                }
                for (int feature : features) {
                    float value = random.nextBoolean()
                            ? (1 + random.nextInt(12)) * 0.25f
                            : (float) (random.nextDouble() * 3 + 1e-3);
                    activations.add(new Activation(feature, doc, p, tokens[p], value));
                }
            }
        }
        Map<Integer, List<Activation>> byFeature =
                activations.stream().collect(Collectors.groupingBy(Activation::feature));
        byFeature.forEach((feature, rows) -> {
            List<Activation> top = rows.stream()
                    .sorted(Comparator.comparingDouble((Activation a) -> -a.activation())
                            .thenComparingLong(Activation::doc)
                            .thenComparingInt(Activation::position))
                    .limit(TOP_K)
                    .toList();
            for (int r = 0; r < top.size(); r++) {
                Activation a = top.get(r);
                topExamples.add(new TopExample(feature, r + 1, a.doc(), a.position(), a.activation()));
            }
        });
    }

    public Map<Long, int[]> documents() {
        return documents;
    }

    public List<Activation> activations() {
        return activations;
    }

    /**
     * Writes the store: every activation once and about a fifth of them again (a replay), older top-example
     * snapshots that the newest replace, every document window (some twice), and rows of another run and SAE.
     * Returns how many activation rows were written in all, duplicates included.
     */
    public int insertInto(ClickHouseHttp clickHouse, String database) {
        ActivationStoreRows rows = new ActivationStoreRows(activations.size());
        ActivationStoreRows replay = new ActivationStoreRows(activations.size());
        ActivationStoreRows elsewhere = new ActivationStoreRows(activations.size());
        int written = 0;
        Map<List<Long>, List<Activation>> byToken = activations.stream()
                .sorted(Comparator.comparingInt(Activation::feature))
                .collect(Collectors.groupingBy(
                        a -> List.of(a.doc(), (long) a.position()), LinkedHashMap::new, Collectors.toList()));
        for (List<Activation> token : byToken.values()) {
            Activation first = token.get(0);
            int[] features = token.stream().mapToInt(Activation::feature).toArray();
            float[] values = new float[token.size()];
            float[] nines = new float[token.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = token.get(i).activation();
                nines[i] = 9f;
            }
            rows.addToken(RUN, SAE, first.doc(), first.position(), first.tokenId(), features, values, values.length);
            written += values.length;
            if (random.nextInt(5) == 0) {
                replay.addToken(
                        RUN, SAE, first.doc(), first.position(), first.tokenId(), features, values, values.length);
                written += values.length;
            }
            if (random.nextInt(3) == 0) {
                elsewhere.addToken(
                        "other-run",
                        SAE,
                        first.doc(),
                        first.position(),
                        first.tokenId(),
                        features,
                        nines,
                        nines.length);
                elsewhere.addToken(
                        RUN,
                        "other-sae",
                        first.doc(),
                        first.position(),
                        first.tokenId(),
                        features,
                        nines,
                        nines.length);
            }
        }
        rows.insertInto(clickHouse, database);
        replay.insertInto(clickHouse, database);
        elsewhere.insertInto(clickHouse, database);

        TopExamplesRows stale = new TopExamplesRows(topExamples.size());
        TopExamplesRows newest = new TopExamplesRows(topExamples.size());
        for (TopExample e : topExamples) {
            stale.add(RUN, SAE, e.feature(), e.rank(), e.doc(), e.position() + 1, 0.5f, 1);
            newest.add(RUN, SAE, e.feature(), e.rank(), e.doc(), e.position(), e.activation(), 2);
        }
        newest.insertInto(clickHouse, database);
        stale.insertInto(clickHouse, database);

        DocumentsRows windows = new DocumentsRows(1 << 14);
        DocumentsRows again = new DocumentsRows(1 << 14);
        documents.forEach((doc, tokens) -> {
            for (int start = 0; start < tokens.length; start += WINDOW) {
                int[] window = java.util.Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + WINDOW));
                windows.add(RUN, doc, start, window, start == 0 ? "document " + doc : "");
                again.add(RUN, doc, start, window, start == 0 ? "document " + doc : "");
                windows.add("other-run", doc, start, new int[] {-1}, "");
            }
        });
        windows.insertInto(clickHouse, database);
        again.insertInto(clickHouse, database);
        return written;
    }

    // ---- brute-force answers, one per named query; rows of Long, Float (Float32 columns) or Double ----

    public List<List<Object>> featuresAtToken(long doc, int position) {
        return where(a -> a.doc() == doc && a.position() == position).stream()
                .sorted(byActivationThenFeature())
                .map(a -> List.<Object>of((long) a.feature(), a.activation(), (long) a.tokenId()))
                .toList();
    }

    public List<List<Object>> topFeaturesPerToken(long doc, int from, int to, int n) {
        Map<Integer, List<Activation>> byPosition =
                new TreeMap<>(where(a -> a.doc() == doc && a.position() >= from && a.position() < to).stream()
                        .collect(Collectors.groupingBy(Activation::position)));
        List<List<Object>> rows = new ArrayList<>();
        byPosition.forEach((position, features) -> features.stream()
                .sorted(byActivationThenFeature())
                .limit(n)
                .forEach(a ->
                        rows.add(List.of((long) position, (long) a.tokenId(), (long) a.feature(), a.activation()))));
        return rows;
    }

    public List<List<Object>> featureWindows(int feature, int windows, int width) {
        Map<String, Float> values = new HashMap<>();
        where(a -> a.feature() == feature).forEach(a -> values.put(a.doc() + "/" + a.position(), a.activation()));
        List<List<Object>> rows = new ArrayList<>();
        topExamples.stream()
                .filter(e -> e.feature() == feature && e.rank() <= windows)
                .sorted(Comparator.comparingInt(TopExample::rank))
                .forEach(e -> {
                    int[] tokens = documents.get(e.doc());
                    for (int p = Math.max(0, e.position() - width);
                            p <= Math.min(tokens.length - 1, e.position() + width);
                            p++) {
                        rows.add(List.of(
                                (long) e.rank(),
                                e.doc(),
                                (long) e.position(),
                                (long) p,
                                (long) tokens[p],
                                values.getOrDefault(e.doc() + "/" + p, 0f)));
                    }
                });
        return rows;
    }

    public List<List<Object>> coOccurringFeatures(int feature, int n) {
        Set<String> tokensOfF = tokenSet(feature);
        List<List<Object>> rows = new ArrayList<>();
        for (int g = 0; g < D_SAE; g++) {
            Set<String> tokensOfG = tokenSet(g);
            long both = tokensOfG.stream().filter(tokensOfF::contains).count();
            if (g != feature && both > 0) {
                long union = tokensOfF.size() + tokensOfG.size() - both;
                rows.add(List.of(
                        (long) g, both, (long) tokensOfG.size(), (long) tokensOfF.size(), (double) both / union));
            }
        }
        return rows.stream()
                .sorted(Comparator.comparingLong((List<Object> r) -> -(Long) r.get(1))
                        .thenComparingLong(r -> (Long) r.get(0)))
                .limit(n)
                .toList();
    }

    public List<List<Object>> featureTokens(int feature, int n) {
        Map<Integer, List<Activation>> byToken =
                where(a -> a.feature() == feature).stream().collect(Collectors.groupingBy(Activation::tokenId));
        return byToken.entrySet().stream()
                .map(e -> List.<Object>of(
                        (long) e.getKey(),
                        (long) e.getValue().size(),
                        e.getValue().stream()
                                .mapToDouble(Activation::activation)
                                .average()
                                .orElseThrow(),
                        max(e.getValue())))
                .sorted(Comparator.comparingLong((List<Object> r) -> -(Long) r.get(1))
                        .thenComparingLong(r -> (Long) r.get(0)))
                .limit(n)
                .toList();
    }

    /** {@code feature} null: every feature. */
    public List<List<Object>> documentCounts(Integer feature, int n) {
        Map<Long, List<Activation>> byDoc = where(a -> feature == null || a.feature() == feature).stream()
                .collect(Collectors.groupingBy(Activation::doc));
        return byDoc.entrySet().stream()
                .map(e -> List.<Object>of(
                        e.getKey(),
                        (long) e.getValue().size(),
                        e.getValue().stream()
                                .map(Activation::position)
                                .distinct()
                                .count(),
                        max(e.getValue())))
                .sorted(Comparator.comparingLong((List<Object> r) -> -(Long) r.get(1))
                        .thenComparingLong(r -> (Long) r.get(0)))
                .limit(n)
                .toList();
    }

    /**
     * Asserts that a query's rows equal the expected ones cell by cell: integers exactly, Float32 columns as the
     * same float, Float64 means to 1e-6 relative.
     */
    public static void assertRows(QueryResult actual, List<List<Object>> expected, String what) {
        assertThat(actual.rows()).as(what + ": row count").hasSize(expected.size());
        for (int r = 0; r < expected.size(); r++) {
            List<String> row = actual.rows().get(r);
            List<Object> want = expected.get(r);
            assertThat(row).as(what + ": row " + r).hasSize(want.size());
            for (int c = 0; c < want.size(); c++) {
                String cell =
                        what + ": row " + r + " column " + actual.columns().get(c) + " " + row;
                Object value = want.get(c);
                if (value instanceof Long number) {
                    assertThat(Long.parseLong(row.get(c))).as(cell).isEqualTo(number);
                } else if (value instanceof Float number) {
                    assertThat(Float.parseFloat(row.get(c))).as(cell).isEqualTo(number);
                } else {
                    double number = (Double) value;
                    assertThat(Double.parseDouble(row.get(c))).as(cell).isCloseTo(number, within(1e-6 * number));
                }
            }
        }
    }

    private List<Activation> where(Predicate<Activation> filter) {
        return activations.stream().filter(filter).toList();
    }

    private Set<String> tokenSet(int feature) {
        return where(a -> a.feature() == feature).stream()
                .map(a -> a.doc() + "/" + a.position())
                .collect(Collectors.toSet());
    }

    private static Comparator<Activation> byActivationThenFeature() {
        return Comparator.comparingDouble((Activation a) -> -a.activation()).thenComparingInt(Activation::feature);
    }

    private static float max(List<Activation> rows) {
        float max = Float.NEGATIVE_INFINITY;
        for (Activation a : rows) {
            max = Math.max(max, a.activation());
        }
        return max;
    }
}
