package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.clickhouse.ClickHouseException;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.DocumentsRows;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunProgressRows;
import dev.scopeflow.schemas.results.RunsRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * schemas' ClickHouse DDL and HTTP client against a real server (18.16 here, whatever is
 * installed).
 */
class ClickHouseMigrationsITCase {

    private static final String DB = "scopeflow_it";
    private static final List<String> AWKWARD = List.of(
            "tab\there", "new\nline\r\n", "quote' \"double\"", "back\\slash\\", "\\N", "ünïcødé ✓ 😀", "", "nul\0");

    private static EmbeddedClickHouse server;
    private static ClickHouseHttp ch;
    private static List<Integer> firstApply;

    @BeforeAll
    static void startAndMigrate() {
        server = EmbeddedClickHouse.start(TestDirs.fresh("clickhouse-migrations"));
        ch = server.http();
        firstApply = ClickHouseMigrations.apply(ch, DB);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void migrationsApplyOnceAndAreRecorded() {
        assertThat(ch.ping()).isTrue();
        assertThat(firstApply).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(ClickHouseMigrations.apply(ch, DB)).isEmpty();
        assertThat(ch.query("SELECT version, name FROM " + DB + ".schema_migrations FINAL"))
                .containsExactly(
                        List.of("1", "init"),
                        List.of("2", "job_outputs"),
                        List.of("3", "distributions"),
                        List.of("4", "run_sites"),
                        List.of("5", "site_progress"),
                        List.of("6", "activation_store"),
                        List.of("7", "reconstruction_sums"),
                        List.of("8", "documents_granules"),
                        List.of("9", "downstream_stats"),
                        List.of("10", "run_corpus"),
                        List.of("11", "worker_progress"));
        assertThat(ch.query("SELECT name FROM system.tables WHERE database = '" + DB + "' ORDER BY name"))
                .extracting(row -> row.get(0))
                .containsExactly(
                        "documents",
                        "downstream_stats",
                        "feature_activations",
                        "feature_activations_by_token",
                        "feature_histograms",
                        "feature_stats",
                        "interval_samples",
                        "reconstruction_stats",
                        "run_corpus",
                        "run_progress",
                        "run_sites",
                        "runs",
                        "saes",
                        "schema_migrations",
                        "site_progress",
                        "store_policies",
                        "top_examples",
                        "worker_progress");
        assertThat(ch.query("SELECT type FROM system.columns WHERE database = '"
                        + DB
                        + "' AND table = 'runs' AND name = 'started_at'"))
                .containsExactly(List.of("DateTime('UTC')"));
    }

    @Test
    void v005CopiesRunProgressIntoSiteProgressOnce() {
        String db = "scopeflow_v004";
        List<ClickHouseMigrations.Migration> migrations = ClickHouseMigrations.load(db);
        // A database as V004 left it (not recorded in schema_migrations, so apply runs V001-V004 again: all
        // IF NOT EXISTS), with progress the old job wrote: a run seen twice and the undecodable records.
        migrations.subList(0, 4).forEach(m -> m.statements().forEach(ch::execute));
        Instant t = Instant.parse("2024-06-07T08:09:10Z");
        new RunProgressRows()
                .add("old", 3, 100, 1, t, 103)
                .add("old", 5, 200, 1, t.plusSeconds(1), 205)
                .add(SiteProgressRows.UNDECODABLE_RUN_ID, 2, 0, 2, t, 2)
                .insertInto(ch, db);

        assertThat(ClickHouseMigrations.apply(ch, db)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        String select = "SELECT run_id, site, records, tokens, dead_letters, toString(updated_at), version FROM " + db
                + ".site_progress FINAL ORDER BY run_id";
        List<List<String>> expected = List.of(
                List.of(SiteProgressRows.UNDECODABLE_RUN_ID, "", "2", "0", "2", "2024-06-07 08:09:10", "2"),
                List.of("old", "", "5", "200", "1", "2024-06-07 08:09:11", "205"));
        assertThat(ch.query(select)).isEqualTo(expected);
        // and the reader's sum over sites sees the old numbers
        assertThat(new ResultsReader(ch, db).run("old").flatMap(ResultsReader.RunOverview::progress))
                .hasValueSatisfying(p -> assertThat(List.of(p.records(), p.tokens(), p.deadLetters()))
                        .containsExactly(5L, 200L, 1L));

        // Applying V005 again (as after a partial failure) copies nothing twice.
        migrations.get(4).statements().forEach(ch::execute);
        assertThat(ch.query("SELECT count() FROM " + db + ".site_progress")).containsExactly(List.of("2"));
        assertThat(ch.query(select)).isEqualTo(expected);
    }

    /**
     * V008 moves `documents` into 64-row granules: windows written before it are all there after it, once, and
     * applying it again (as after a partial failure) keeps them.
     */
    @Test
    void v008KeepsTheDocumentsItMoves() {
        String db = "scopeflow_v007";
        List<ClickHouseMigrations.Migration> migrations = ClickHouseMigrations.load(db);
        // A database as V007 left it: V001-V007 applied and recorded, as apply records them.
        for (ClickHouseMigrations.Migration m : migrations.subList(0, 7)) {
            m.statements().forEach(ch::execute);
            ch.insert(
                    db + ".schema_migrations",
                    List.of("version", "name", "applied_at"),
                    List.of(List.of(m.version(), m.name(), Instant.now())));
        }
        new DocumentsRows(3)
                .add("r", 1, 0, new int[] {2, 5, 6}, "one")
                .add("r", 1, 1024, new int[] {7}, "")
                .add("r", 2, 0, new int[] {2}, "two")
                .insertInto(ch, db);
        String select = "SELECT doc_id, window_start, token_ids, text FROM " + db
                + ".documents FINAL ORDER BY doc_id, window_start";
        List<List<String>> before = ch.query(select);
        assertThat(before).hasSize(3);

        assertThat(ClickHouseMigrations.apply(ch, db)).containsExactly(8, 9, 10, 11);
        assertThat(ch.query(select)).isEqualTo(before);
        assertThat(ch.query("SELECT create_table_query FROM system.tables WHERE database = '" + db
                                + "' AND name = 'documents'")
                        .get(0)
                        .get(0))
                .contains("index_granularity = 64");
        assertThat(ch.query("SELECT name FROM system.tables WHERE database = '" + db + "' AND name LIKE 'documents%'"))
                .containsExactly(List.of("documents"));

        migrations.get(7).statements().forEach(ch::execute);
        assertThat(ch.query("SELECT count() FROM " + db + ".documents")).containsExactly(List.of("3"));
        assertThat(ch.query(select)).isEqualTo(before);
    }

    @Test
    void awkwardStringsArraysAndTimesRoundTrip() {
        Instant started = Instant.parse("2024-03-31T01:30:00Z"); // inside a DST switch in many zones
        Instant ended = Instant.parse("2024-10-27T02:15:59Z");
        for (int i = 0; i < AWKWARD.size(); i++) {
            String text = AWKWARD.get(i);
            new RunsRows()
                    .add(
                            "run-" + i,
                            text,
                            List.of("res.20", text),
                            List.of(),
                            text + "\t" + text,
                            Long.MAX_VALUE - i,
                            "done",
                            started,
                            ended,
                            ended)
                    .insertInto(ch, DB);
        }
        List<List<String>> rows = ch.query("SELECT run_id, model_id, sites, saes, corpus, tokens, started_at, "
                + "toUnixTimestamp(started_at), ended_at FROM "
                + DB
                + ".runs FINAL ORDER BY run_id");

        assertThat(rows).hasSize(AWKWARD.size());
        for (int i = 0; i < AWKWARD.size(); i++) {
            String text = AWKWARD.get(i);
            List<String> row = rows.get(i);
            assertThat(row.get(0)).isEqualTo("run-" + i);
            assertThat(row.get(1)).as("model_id %d", i).isEqualTo(text);
            assertThat(ClickHouseTsv.parseArray(row.get(2))).as("sites %d", i).containsExactly("res.20", text);
            assertThat(ClickHouseTsv.parseArray(row.get(3))).isEmpty();
            assertThat(row.get(4)).isEqualTo(text + "\t" + text);
            assertThat(row.get(5)).isEqualTo(Long.toUnsignedString(Long.MAX_VALUE - i));
            assertThat(row.get(6)).isEqualTo("2024-03-31 01:30:00");
            assertThat(row.get(7)).isEqualTo(Long.toString(started.getEpochSecond()));
            assertThat(row.get(8)).isEqualTo("2024-10-27 02:15:59");
        }
        List<List<String>> elements = ch.query("SELECT arrayJoin(sites) FROM " + DB + ".runs WHERE run_id = 'run-0'");
        assertThat(elements).containsExactly(List.of("res.20"), List.of(AWKWARD.get(0)));
    }

    @Test
    void featureStatsKeepTheHighestVersionUnderFinal() {
        String table = DB + ".feature_stats";
        new FeatureStatsRows(2)
                .add("r1", "res.20/16k", 7, 100, 3, 1.5, 0.75f, 1)
                .add("r1", "res.20/16k", 8, 100, 0, 0.0, 0.0f, 1)
                .insertInto(ch, DB);
        new FeatureStatsRows(1).add("r1", "res.20/16k", 7, 200, 5, 0.1, 0.1f, 2).insertInto(ch, DB);
        // A replay of the older total arrives late: it must not win.
        new FeatureStatsRows(1)
                .add("r1", "res.20/16k", 7, 100, 3, 1.5, 0.75f, 1)
                .insertInto(ch, DB);

        String select = "SELECT feature, n_tokens, fire_count, act_sum, act_max, version FROM "
                + table
                + " FINAL WHERE run_id = 'r1' ORDER BY feature";
        assertThat(ch.query(select))
                .containsExactly(List.of("7", "200", "5", "0.1", "0.1", "2"), List.of("8", "100", "0", "0", "0", "1"));
        assertThat(ch.query("SELECT count() FROM " + table + " FINAL")).containsExactly(List.of("2"));

        ch.execute("OPTIMIZE TABLE " + table + " FINAL");
        assertThat(ch.query(select)).extracting(row -> row.get(5)).containsExactly("2", "1");
    }

    @Test
    void serverErrorsAreReportedWithStatusAndText() {
        assertThatThrownBy(() -> ch.execute("SELEC 1"))
                .isInstanceOfSatisfying(
                        ClickHouseException.class,
                        e -> assertThat(e.httpStatus()).isEqualTo(400))
                .hasMessageContaining("Syntax error")
                .hasMessageContaining("SELEC 1");
        // Fails after rows started streaming: wait_end_of_query turns it into a non-200 answer.
        assertThatThrownBy(() -> ch.query("SELECT throwIf(number = 100000) FROM system.numbers LIMIT" + " 200000"))
                .isInstanceOfSatisfying(
                        ClickHouseException.class,
                        e -> assertThat(e.httpStatus()).isEqualTo(500));
        assertThatThrownBy(() -> ch.insert(DB + ".no_such_table", List.of("a"), List.of(List.of(1))))
                .isInstanceOf(ClickHouseException.class)
                .hasMessageContaining("no_such_table");
    }
}
