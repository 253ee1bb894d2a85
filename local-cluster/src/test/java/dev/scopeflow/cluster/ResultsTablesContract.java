package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.DocumentsRows;
import dev.scopeflow.schemas.results.DownstreamStatsRows;
import dev.scopeflow.schemas.results.FeatureActivationsByTokenRows;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.FeatureHistogramsRows;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import dev.scopeflow.schemas.results.IntervalSamplesRows;
import dev.scopeflow.schemas.results.ReconstructionStatsRows;
import dev.scopeflow.schemas.results.ResultsTable;
import dev.scopeflow.schemas.results.RunCorpusRows;
import dev.scopeflow.schemas.results.RunProgressRows;
import dev.scopeflow.schemas.results.RunSitesRows;
import dev.scopeflow.schemas.results.RunsRows;
import dev.scopeflow.schemas.results.SaesRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import dev.scopeflow.schemas.results.StorePoliciesRows;
import dev.scopeflow.schemas.results.TopExamplesRows;
import dev.scopeflow.schemas.results.WorkerProgressRows;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Java descriptions of the results tables (schemas' {@code dev.scopeflow.schemas.results}) against the
 * tables the migrations create on a real server: same tables, same column names and types in the same order, and
 * a row written through each typed {@code add} reads back column by column. A column renamed or retyped in SQL
 * but not in Java fails here. Run on each server version a subclass gives: {@link ResultsTablesITCase} (18.16)
 * and cli's {@code ModernResultsTablesITCase} (current ClickHouse through {@link ChdbClickHouse}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ResultsTablesContract {

    private static final String DB = "results_it";
    private static final List<ResultsTable> TABLES = List.of(
            FeatureStatsRows.TABLE,
            TopExamplesRows.TABLE,
            FeatureHistogramsRows.TABLE,
            IntervalSamplesRows.TABLE,
            ReconstructionStatsRows.TABLE,
            RunProgressRows.TABLE,
            RunsRows.TABLE,
            RunSitesRows.TABLE,
            RunCorpusRows.TABLE,
            SiteProgressRows.TABLE,
            SaesRows.TABLE,
            DocumentsRows.TABLE,
            FeatureActivationsRows.TABLE,
            FeatureActivationsByTokenRows.TABLE,
            StorePoliciesRows.TABLE,
            DownstreamStatsRows.TABLE,
            WorkerProgressRows.TABLE);

    private ClickHouseHttp ch;

    /** A writing client of the server under test, started by the subclass's extension. */
    protected abstract ClickHouseHttp clickHouse();

    @BeforeAll
    void migrate() {
        ch = clickHouse();
        ClickHouseMigrations.apply(ch, DB);
    }

    @Test
    public void everyMigratedTableButTheMigrationLogHasADescription() {
        List<String> described =
                TABLES.stream().map(ResultsTable::name).sorted().toList();
        assertThat(ch.query("SELECT name FROM system.tables WHERE database = " + ClickHouseTsv.quote(DB)
                        + " AND name != 'schema_migrations'"
                        + " AND engine != 'MaterializedView' ORDER BY name"))
                .extracting(row -> row.get(0))
                .containsExactlyElementsOf(described);
    }

    @Test
    public void descriptionsMatchSystemColumns() {
        for (ResultsTable table : TABLES) {
            List<ResultsTable.Column> actual = ch
                    .query("SELECT name, type FROM system.columns WHERE database = " + ClickHouseTsv.quote(DB)
                            + " AND table = " + ClickHouseTsv.quote(table.name()))
                    .stream()
                    .map(row -> new ResultsTable.Column(row.get(0), row.get(1)))
                    .toList();
            assertThat(actual).as(table.name()).containsExactlyElementsOf(table.columns());
        }
    }

    @Test
    public void binaryRowsReadBackColumnByColumn() {
        new FeatureStatsRows(1).add("r", "s", 7, 100, 3, 1.25, 0.5f, 42).insertInto(ch, DB);
        assertThat(select(FeatureStatsRows.TABLE))
                .containsExactly(List.of("r", "s", "7", "100", "3", "1.25", "0.5", "42"));

        new TopExamplesRows(1).add("r", "s", 7, 2, -9, 12, 2.5f, 8).insertInto(ch, DB);
        assertThat(select(TopExamplesRows.TABLE)).containsExactly(List.of("r", "s", "7", "2", "-9", "12", "2.5", "8"));

        new FeatureHistogramsRows(1).add("r", "s", 7, 11, 0.25f, 0.5f, 77, 5).insertInto(ch, DB);
        assertThat(select(FeatureHistogramsRows.TABLE))
                .containsExactly(List.of("r", "s", "7", "11", "0.25", "0.5", "77", "5"));

        new IntervalSamplesRows(1)
                .add("r", "s", 7, 2, 0.125f, 0.75f, 5, 1234, 56, 0.375f, 99)
                .insertInto(ch, DB);
        assertThat(select(IntervalSamplesRows.TABLE))
                .containsExactly(List.of("r", "s", "7", "2", "0.125", "0.75", "5", "1234", "56", "0.375", "99"));

        new ReconstructionStatsRows()
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
                        301,
                        0.25,
                        new ReconstructionStatsRows.RawSums(4.5, 5.5, 6.5, -7.5, new double[] {0.125, -1e300}))
                .insertInto(ch, DB);
        assertThat(select(ReconstructionStatsRows.TABLE))
                .containsExactly(List.of(
                        "r",
                        "s",
                        "300",
                        "1.5",
                        "2.5",
                        "3.5",
                        "-2.5",
                        "0.75",
                        "0.875",
                        "1.125",
                        "301",
                        "0.25",
                        "4.5",
                        "5.5",
                        "6.5",
                        "-7.5",
                        "[0.125,-1e300]"));

        new DocumentsRows(1)
                .add("r", 17, 512, new int[] {2, -1, 256000}, "ünï\ttext")
                .insertInto(ch, DB);
        assertThat(select(DocumentsRows.TABLE))
                .containsExactly(List.of("r", "17", "512", "[2,-1,256000]", "ünï\ttext"));

        new FeatureActivationsRows(1).add("r", "s", 7, 17, 40, -3, 1.75f).insertInto(ch, DB);
        assertThat(select(FeatureActivationsRows.TABLE))
                .containsExactly(List.of("r", "s", "7", "17", "40", "-3", "1.75"));
        new FeatureActivationsByTokenRows(1)
                .add(
                        "r",
                        "s",
                        17,
                        40,
                        -3,
                        new int[] {7, 16383, (int) 4_000_000_000L},
                        new float[] {1.75f, 3e-8f, 2f},
                        2)
                .insertInto(ch, DB);
        assertThat(select(FeatureActivationsByTokenRows.TABLE))
                .as("only the first count entries of the arrays are written")
                .containsExactly(List.of("r", "s", "17", "40", "-3", "[7,16383]", "[1.75,3e-8]"));
    }

    @Test
    public void textRowsReadBackColumnByColumn() {
        Instant t1 = Instant.parse("2024-01-02T03:04:05Z");
        Instant t2 = Instant.parse("2024-06-07T08:09:10Z");
        Instant t3 = Instant.parse("2024-11-12T13:14:15Z");
        new RunsRows()
                .add("r", "m", List.of("res.20"), List.of("a", "b"), "c", 9, "running", t1, t2, t3)
                .insertInto(ch, DB);
        assertThat(select(RunsRows.TABLE))
                .containsExactly(List.of(
                        "r",
                        "m",
                        "['res.20']",
                        "['a','b']",
                        "c",
                        "9",
                        "running",
                        "2024-01-02 03:04:05",
                        "2024-06-07 08:09:10",
                        "2024-11-12 13:14:15"));

        new SaesRows()
                .add("s", "res.20", "/p", "abc", "jumprelu", 2304, 16384, "np", t1)
                .insertInto(ch, DB);
        assertThat(select(SaesRows.TABLE))
                .containsExactly(
                        List.of("s", "res.20", "/p", "abc", "jumprelu", "2304", "16384", "np", "2024-01-02 03:04:05"));

        new RunProgressRows().add("r", 5, 6, 7, t2, 8).insertInto(ch, DB);
        assertThat(select(RunProgressRows.TABLE))
                .containsExactly(List.of("r", "5", "6", "7", "2024-06-07 08:09:10", "8"));

        new SiteProgressRows().add("r", "res.12", 5, 6, 7, t2, 11).insertInto(ch, DB);
        assertThat(select(SiteProgressRows.TABLE))
                .containsExactly(List.of("r", "res.12", "5", "6", "7", "2024-06-07 08:09:10", "11"));

        new RunSitesRows().add("r", Site.parse("att.3"), 2048, "m", t3).insertInto(ch, DB);
        assertThat(select(RunSitesRows.TABLE))
                .containsExactly(List.of("r", "att.3", "2048", "m", "2024-11-12 13:14:15"));

        new RunCorpusRows()
                .add("r", "p.corpus.v1", "/c.jsonl", 7, 12, 2, 1, 2, 1, t2)
                .insertInto(ch, DB);
        assertThat(select(RunCorpusRows.TABLE))
                .containsExactly(
                        List.of("r", "p.corpus.v1", "/c.jsonl", "7", "12", "2", "1", "2", "1", "2024-06-07 08:09:10"));

        new WorkerProgressRows()
                .add("r", "w0", "s1", 7, 9, 70, 3, 1, false, t1)
                .add("r", "w0", "s1", 8, 11, 80, 4, 1, true, t2)
                .insertInto(ch, DB);
        assertThat(ch.query("SELECT " + String.join(", ", WorkerProgressRows.TABLE.columnNames()) + " FROM "
                        + WorkerProgressRows.TABLE.in(DB) + " FINAL"))
                .as("the later row of a session (version: transactions + aborted + finished) wins")
                .containsExactly(List.of("r", "w0", "s1", "8", "11", "80", "4", "1", "1", "2024-06-07 08:09:10", "6"));

        new StorePoliciesRows().add("r", "s", "top-per-token 8", t1).insertInto(ch, DB);
        assertThat(select(StorePoliciesRows.TABLE))
                .containsExactly(List.of("r", "s", "top-per-token 8", "2024-01-02 03:04:05"));

        new DownstreamStatsRows()
                .add("r", "s", "res.3", 9, new DownstreamSums(4, 2, 3, 6, 0.5, 2), t1)
                .add("r", "empty", "att.0", 1, DownstreamSums.EMPTY, t1)
                .insertInto(ch, DB);
        assertThat(ch.query("SELECT " + String.join(", ", DownstreamStatsRows.TABLE.columnNames()) + " FROM "
                        + DownstreamStatsRows.TABLE.in(DB) + " ORDER BY sae_id DESC"))
                .containsExactly(
                        List.of(
                                "r",
                                "s",
                                "res.3",
                                "9",
                                "4",
                                "2",
                                "3",
                                "6",
                                "0.5",
                                "2",
                                "0.5",
                                "0.75",
                                "1.5",
                                "0.25",
                                "0.75",
                                "0.125",
                                "0.5",
                                "0.75",
                                "2024-01-02 03:04:05",
                                "9"),
                        List.of(
                                "r",
                                "empty",
                                "att.0",
                                "1",
                                "0",
                                "0",
                                "0",
                                "0",
                                "0",
                                "0",
                                "nan",
                                "nan",
                                "nan",
                                "nan",
                                "nan",
                                "nan",
                                "nan",
                                "nan",
                                "2024-01-02 03:04:05",
                                "1"));
    }

    /** Every column, named one by one in the description's order. */
    private List<List<String>> select(ResultsTable table) {
        return ch.query("SELECT " + String.join(", ", table.columnNames()) + " FROM " + table.in(DB));
    }
}
