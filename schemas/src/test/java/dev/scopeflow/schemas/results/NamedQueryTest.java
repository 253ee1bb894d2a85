package dev.scopeflow.schemas.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The SQL contract of the named queries without a server (their answers are checked on a real one by
 * local-cluster's NamedQueriesITCase): every table read with FINAL and by its key prefix, values quoted, and
 * parameters checked. (The FINAL check was seen to fail with FINAL removed from feature-tokens alone.)
 */
class NamedQueryTest {

    /** Every parameter a named query has, with a value of its type. */
    private static final Map<String, String> VALUES = Map.of(
            "run",
            "r'un",
            "sae",
            "s\\ae",
            "doc",
            "-3",
            "position",
            "4",
            "from",
            "1",
            "to",
            "9",
            "n",
            "7",
            "feature",
            "42",
            "windows",
            "3",
            "width",
            "2");

    private static final Pattern TABLE_READ = Pattern.compile(
            "FROM db\\.(\\w+)( FINAL)?(?: ARRAY JOIN \\S+ AS \\w+(?:, \\S+ AS \\w+)*)?( WHERE (.{0,80}))?");

    @Test
    void everyTableIsReadDeduplicatedByItsKeyPrefix() {
        for (NamedQuery query : NamedQueries.all()) {
            for (Map<String, String> arguments : argumentsFor(query)) {
                String sql = query.sql("db", arguments);
                Matcher read = TABLE_READ.matcher(sql);
                int reads = 0;
                while (read.find()) {
                    reads++;
                    String what = query.name() + " reads " + read.group(1) + " in: " + sql;
                    if (read.group(1).equals("feature_activations_by_token")) {
                        // one row per token: LIMIT 1 (BY doc_id, position) keeps one of a twice-written token
                        assertThat(read.group(2)).as(what + " with FINAL").isNull();
                        assertThat(sql.substring(read.start())).as(what).contains(" LIMIT 1");
                    } else if (query.name().equals("run-progress")
                            && read.group(1).equals("documents")) {
                        // documents counted: distinct doc ids, so a twice-written window counts once
                        assertThat(sql).as(what).contains("uniqExact(doc_id) FROM db.documents WHERE");
                    } else if (query.name().equals("co-occurring-features")) {
                        // A is an IN set; |A| and |B| count distinct (doc_id, position)
                        assertThat(sql).as(what).contains("uniqExact(doc_id, position)");
                    } else {
                        assertThat(read.group(2)).as(what + " without FINAL").isNotNull();
                    }
                    assertThat(read.group(4)).as(what + " without WHERE").isNotNull();
                    String prefix = List.of("documents", "run_corpus", "worker_progress")
                                    .contains(read.group(1))
                            ? "run_id = 'r\\'un'"
                            : "run_id = 'r\\'un' AND sae_id = 's\\\\ae'";
                    assertThat(read.group(4)).as(what).startsWith(prefix);
                    if (read.group(1).equals("feature_activations")
                            || read.group(1).equals("top_examples")) {
                        // the third key column, whenever the query is about one feature (co-occurrence also
                        // counts the fires of the features it lists: a set of them)
                        assertThat(read.group(4).startsWith(prefix + " AND feature = 42")
                                        || read.group(4).startsWith(prefix + " AND feature IN (")
                                        || !arguments.containsKey("feature")
                                        || arguments.get("feature").equals("all"))
                                .as(what)
                                .isTrue();
                    }
                }
                assertThat(reads).as(query.name()).isPositive();
            }
        }
    }

    @Test
    void defaultsFillWhatIsNotGivenAndNumbersAreNormalised() {
        NamedQuery query = NamedQueries.named("top-features-per-token");
        assertThat(query.arguments(Map.of("run", "r", "sae", "s", "doc", "-3", "to", " 9")))
                .containsExactly(
                        Map.entry("run", "r"),
                        Map.entry("sae", "s"),
                        Map.entry("doc", "-3"),
                        Map.entry("from", "0"),
                        Map.entry("to", "9"),
                        Map.entry("n", "5"));
        assertThat(NamedQueries.named("document-counts").sql("db", Map.of("run", "r", "sae", "s")))
                .contains(
                        "feature_activations_by_token WHERE run_id = 'r' AND sae_id = 's' LIMIT 1 BY doc_id, position");
    }

    @Test
    void mistakesNameTheQueryAndTheParameter() {
        NamedQuery query = NamedQueries.named("features-at-token");
        assertThatThrownBy(() -> query.arguments(Map.of("run", "r", "sae", "s", "doc", "1")))
                .hasMessage("query 'features-at-token' needs parameter 'position' (position in the document): add"
                        + " --param position=...");
        assertThatThrownBy(() -> query.arguments(Map.of("run", "r", "sae", "s", "doc", "1", "position", "-1")))
                .hasMessage("parameter 'position' of query 'features-at-token' must be an integer ≥ 0, got -1");
        assertThatThrownBy(() -> query.arguments(Map.of("run", "r", "sae", "s", "doc", "1; DROP", "position", "1")))
                .hasMessage("parameter 'doc' of query 'features-at-token' must be an integer, got '1; DROP'");
        assertThatThrownBy(() -> query.arguments(Map.of("feature", "1")))
                .hasMessageStartingWith("query 'features-at-token' has no parameter 'feature'; its parameters: run,");
        assertThatThrownBy(() -> NamedQueries.named("nope")).hasMessageContaining("there are: features-at-token");
        assertThatThrownBy(() -> query.sql("db; DROP", Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    /** The query's parameters with values from {@link #VALUES}; a feature-or-all one both ways. */
    private static List<Map<String, String>> argumentsFor(NamedQuery query) {
        Map<String, String> arguments = new HashMap<>();
        query.parameters().forEach(p -> arguments.put(p.name(), VALUES.get(p.name())));
        if (query.parameters().stream().anyMatch(p -> p.type() == NamedQuery.Type.FEATURE_OR_ALL)) {
            Map<String, String> all = new HashMap<>(arguments);
            all.put("feature", "all");
            return List.of(arguments, all);
        }
        return List.of(arguments);
    }
}
