package dev.scopeflow.cluster;

import static dev.scopeflow.cluster.ActivationStoreFixture.D_SAE;
import static dev.scopeflow.cluster.ActivationStoreFixture.RUN;
import static dev.scopeflow.cluster.ActivationStoreFixture.SAE;
import static dev.scopeflow.cluster.ActivationStoreFixture.TOP_K;
import static dev.scopeflow.cluster.ActivationStoreFixture.assertRows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.NamedQuery;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every named query on a real ClickHouse 18.16 equals its brute-force answer over the same rows held in memory
 * ({@link ActivationStoreFixture}), for every feature, every token and several limits. Merges are stopped before
 * the rows are written, so the replayed duplicates, the stale top-example snapshot and the twice-written document
 * windows are all still on disk when the queries run: a query that read without FINAL would count them. (Checked
 * once by removing every FINAL from NamedQueries: all six queries' tests failed, on duplicated rows or counts.)
 */
class NamedQueriesITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    private static final String DB = "named_it";
    private static final ActivationStoreFixture STORE = new ActivationStoreFixture(11);
    private static ClickHouseHttp ch;
    private static int written;

    @BeforeAll
    static void writeTheStore() {
        ch = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(ch, DB);
        ch.execute("SYSTEM STOP MERGES"); // keep every duplicate until the queries have run
        written = STORE.insertInto(ch, DB);
    }

    @Test
    void theDuplicatesAreStillOnDisk() {
        String rows = "SELECT count() FROM " + FeatureActivationsRows.TABLE.in(DB)
                + " WHERE run_id = 'run-q' AND sae_id = 'sae-q'";
        assertThat(Long.parseLong(ch.query(rows).get(0).get(0))).isEqualTo(written);
        assertThat(written).isGreaterThan(STORE.activations().size() + 50);
        assertThat(STORE.activations()).hasSizeGreaterThan(300);
    }

    @Test
    void featuresAtEveryToken() {
        STORE.documents().forEach((doc, tokens) -> {
            for (int position = 0; position <= tokens.length; position++) { // one past the end: no rows
                assertRows(
                        run("features-at-token", "doc", doc, "position", position),
                        STORE.featuresAtToken(doc, position),
                        "features-at-token " + doc + "/" + position);
            }
        });
    }

    @Test
    void topFeaturesPerTokenOverSpans() {
        STORE.documents().forEach((doc, tokens) -> {
            for (int[] span : new int[][] {{0, tokens.length}, {5, 17}, {tokens.length - 3, tokens.length + 10}}) {
                for (int n : new int[] {1, 3, 100}) {
                    assertRows(
                            run("top-features-per-token", "doc", doc, "from", span[0], "to", span[1], "n", n),
                            STORE.topFeaturesPerToken(doc, span[0], span[1], n),
                            "top-features-per-token " + doc + " " + span[0] + ".." + span[1] + " n=" + n);
                }
            }
        });
        // from is 0 unless given
        long doc = STORE.documents().keySet().iterator().next();
        assertRows(
                run("top-features-per-token", "doc", doc, "to", 9),
                STORE.topFeaturesPerToken(doc, 0, 9, 5),
                "defaults");
    }

    @Test
    void featureWindowsWithEveryTokensValue() {
        for (int feature = 0; feature < D_SAE; feature++) {
            // every feature in full; the rank limit and narrow windows on every fifth (each query costs ~0.1 s here)
            int[][] shapes = feature % 5 == 0
                    ? new int[][] {{TOP_K + 4, 70}, {TOP_K, 3}, {2, 0}}
                    : new int[][] {{TOP_K + 4, 70}};
            for (int[] shape : shapes) {
                assertRows(
                        run("feature-windows", "feature", feature, "windows", shape[0], "width", shape[1]),
                        STORE.featureWindows(feature, shape[0], shape[1]),
                        "feature-windows " + feature + " windows=" + shape[0] + " width=" + shape[1]);
            }
        }
    }

    @Test
    void coOccurringFeaturesWithJaccard() {
        for (int feature = 0; feature < D_SAE; feature++) {
            for (int n : feature % 5 == 0 ? new int[] {D_SAE, 3} : new int[] {D_SAE}) {
                assertRows(
                        run("co-occurring-features", "feature", feature, "n", n),
                        STORE.coOccurringFeatures(feature, n),
                        "co-occurring-features " + feature + " n=" + n);
            }
        }
    }

    @Test
    void tokensAFeatureFiresOn() {
        for (int feature = 0; feature < D_SAE; feature++) {
            for (int n : new int[] {2, 1000}) {
                assertRows(
                        run("feature-tokens", "feature", feature, "n", n),
                        STORE.featureTokens(feature, n),
                        "feature-tokens " + feature + " n=" + n);
            }
        }
    }

    @Test
    void perDocumentCounts() {
        for (int feature = 0; feature < D_SAE; feature++) {
            assertRows(
                    run("document-counts", "feature", feature, "n", 2),
                    STORE.documentCounts(feature, 2),
                    "document-counts " + feature);
        }
        assertRows(run("document-counts"), STORE.documentCounts(null, 100), "document-counts all");
        assertRows(run("document-counts", "feature", "all", "n", 1), STORE.documentCounts(null, 1), "all n=1");
    }

    @Test
    void everyQueryIsListedWithItsColumns() {
        assertThat(NamedQueries.all())
                .extracting(NamedQuery::name)
                .containsExactly(
                        "features-at-token",
                        "top-features-per-token",
                        "feature-windows",
                        "co-occurring-features",
                        "feature-tokens",
                        "document-counts",
                        "run-progress");
        assertThat(run("feature-windows", "feature", 0).columns())
                .containsExactly("rank", "doc_id", "top_position", "position", "token_id", "activation");
    }

    /** Runs a named query of the fixture's run and SAE with the given parameter names and values. */
    private static QueryResult run(String name, Object... parameters) {
        Map<String, String> arguments = new HashMap<>(Map.of("run", RUN, "sae", SAE));
        for (int i = 0; i < parameters.length; i += 2) {
            arguments.put((String) parameters[i], String.valueOf(parameters[i + 1]));
        }
        return NamedQueries.named(name).run(ch, DB, arguments);
    }
}
