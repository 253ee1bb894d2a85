package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.ChdbClickHouse;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.dashboard.Dashboard;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunsRegistry;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.JsonRecordPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.WindowEvaluation;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.NamedQuery;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunCorpusRows;
import dev.scopeflow.schemas.results.RunProgressRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import dev.scopeflow.schemas.results.StorePoliciesRows;
import dev.scopeflow.schemas.results.WorkerProgressRows;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every SQL statement the project issues, on current ClickHouse (chdb 26.x in-process, {@link ChdbClickHouse})
 * next to the 18.16 server the other ITCases use: the same demo (producer → Kafka → statistics job on a
 * MiniCluster → the job's sinks, registry and validation → {@code ResultsReader}) runs once against each server,
 * and the 18.16 side, which {@code DemoITCase} checks against in-memory statistics, is the reference for
 * everything read back: every table, every {@link ResultsReader} method, {@link RunsRegistry}, the dashboard's pages
 * and the queries the project documents ({@link #documentedQueries()}). {@link ModernResultsTablesITCase} adds
 * every {@code *Rows} insert and the column types.
 *
 * <p>A statement current ClickHouse rejects fails here with the server's message and the statement. Checked by
 * adding two to {@link #documentedQueries()}: 18.16's {@code ENGINE = MergeTree(d, (x), 8192)} failed with "Code:
 * 36. DB::Exception: This syntax for *MergeTree engine is deprecated ... [SQL: CREATE TABLE ...]", and a query
 * ending in {@code WHERE} with "Code: 62. DB::Exception: Syntax error ... [SQL: SELECT ...]". Checked too: with
 * {@code ResultsReader}'s fire-count groups unordered, {@code evaluations} differed (26.x returns groups in another
 * order), which is why that query now has an ORDER BY.
 */
class ModernClickHouseDialectITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final ChdbClickHouse CURRENT = new ChdbClickHouse();

    private static final String DB = "dialect";
    private static final String RUN = "dialect-run";
    /** Times differ between the two demo runs; everything else must not. */
    private static final String TIME = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d";

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The two servers, with the login each needs (chdb has no users). */
    private record Server(String url, ClickHouseLogin login) {
        ClickHouseHttp http() {
            return ClickHouseHttp.of(url, login);
        }

        ResultsReader reader() {
            return new ResultsReader(http(), DB);
        }
    }

    private static Server old;
    private static Server current;
    private static Demo.Report oldReport;
    private static Demo.Report currentReport;
    private static String sae0;
    private static String sae1;

    @BeforeAll
    static void runTheDemoOnBothServers() throws Exception {
        old = new Server(SERVICES.clickHouse().httpUrl(), SERVICES.clickHouse().writer());
        current = new Server(CURRENT.httpUrl(), null);
        assertThat(current.http().query("SELECT version()").get(0).get(0)).startsWith("26.");
        oldReport = demo("old", SERVICES.clickHouseWriterOptions());
        currentReport = demo("current", List.of("--clickhouse", current.url()));
        sae0 = oldReport.saes().get(0).saeId();
        sae1 = oldReport.saes().get(1).saeId();
        for (Server server : List.of(old, current)) {
            // Tables the job does not fill (yet, or any more): rows as their writers write them. (The demo now
            // publishes its documents, several windows each, which the job writes.)
            new RunProgressRows().add(RUN, 9, 8, 1, Instant.EPOCH, 17).insertInto(server.http(), DB);
            new StorePoliciesRows()
                    .add(RUN, sae0, "top-per-token 8", Instant.EPOCH)
                    .insertInto(server.http(), DB);
            new FeatureActivationsRows(3)
                    .add(RUN, sae0, 7, 2, 5, 651, 1.5f)
                    .add(RUN, sae0, 3, 2, 5, 651, 0.25f)
                    .add(RUN, sae1, 7, 1, 0, 2, 3.0f)
                    .insertInto(server.http(), DB);
            // Not the epoch: 18.16 prints it as 0000-00-00 00:00:00, 26.x as 1970-01-01 00:00:00.
            new RunCorpusRows()
                    .add(
                            RUN,
                            "dialect.corpus.v1",
                            "/corpus.jsonl",
                            8,
                            11,
                            1,
                            1,
                            1,
                            0,
                            Instant.parse("2026-01-02T03:04:05Z"))
                    .insertInto(server.http(), DB);
            new WorkerProgressRows()
                    .add(RUN, "w0", "s0", 5, 6, 60, 2, 1, false, Instant.parse("2026-01-02T03:04:05Z"))
                    .add(RUN, "w0", "s0", 8, 9, 90, 3, 1, true, Instant.parse("2026-01-02T03:04:06Z"))
                    .add(RUN, "w1", "s1", 3, 3, 30, 1, 0, false, Instant.parse("2026-01-02T03:04:07Z"))
                    .insertInto(server.http(), DB);
            // What a job counts when a record decodes to no run.
            new SiteProgressRows()
                    .add(SiteProgressRows.UNDECODABLE_RUN_ID, "", 3, 0, 3, Instant.EPOCH, 3)
                    .insertInto(server.http(), DB);
        }
    }

    /** The windows both demos publish: the first 8 documents of the bundled text in windows of 21 tokens. */
    private static List<DemoText.Window> demoWindows() throws IOException {
        return DemoText.windows(8, 21);
    }

    private static Demo.Report demo(String name, List<String> clickHouseOptions) throws Exception {
        Demo.Settings settings = new Demo.Settings(
                SERVICES.workDir().resolve("demo-" + name), RUN, Site.parse("res.6"), 8, 21, 32, 96, 2, 1, 11);
        List<String> args = new ArrayList<>(List.of(
                "--kafka", SERVICES.kafka().bootstrapServers(), "--topic-prefix", "dialect-" + name, "--database", DB));
        args.addAll(clickHouseOptions);
        ServiceOptions options = TestingServiceOptions.parse(
                ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK), args.toArray(String[]::new));
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        publishEvaluations(TopicNames.withPrefix("dialect-" + name));
        try (Services services = options.resolve(log)) {
            return Demo.run(settings, services, log);
        }
    }

    /**
     * What {@code produce --eval-sae} would publish for three windows of the run (the demo has no model), so the
     * job's downstream sink writes {@code downstream_stats} on both servers too.
     */
    private static void publishEvaluations(TopicNames topics) {
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, Demo.PARTITIONS);
        try (JsonRecordPublisher<WindowEvaluation> evaluations = JsonRecordPublisher.evaluations(
                ActivationPublisher.producerProperties(SERVICES.kafka().bootstrapServers()), topics)) {
            for (int doc = 0; doc < 3; doc++) {
                evaluations.accept(new WindowEvaluation(
                        RUN,
                        doc,
                        0,
                        List.of(new WindowEvaluation.Entry(
                                "eval-res.6",
                                Site.parse("res.6"),
                                new DownstreamSums(20, 40 + doc, 45, 90, 0.5, 8 + doc)))));
            }
        }
    }

    @Test
    void migrationsApplyOnceOnCurrentClickHouse() {
        List<Integer> every = ClickHouseMigrations.load("fresh").stream()
                .map(ClickHouseMigrations.Migration::version)
                .toList();
        assertThat(ClickHouseMigrations.apply(current.http(), "fresh")).isEqualTo(every);
        assertThat(ClickHouseMigrations.apply(current.http(), "fresh")).isEmpty();
    }

    @Test
    void theJobAndRegistryWriteTheSameRowsOnBothServers() {
        List<String> tables = current
                .http()
                .query("SELECT name FROM system.tables WHERE database = " + ClickHouseTsv.quote(DB)
                        + " AND engine != 'MaterializedView' ORDER BY name")
                .stream()
                .map(row -> row.get(0))
                .toList();
        assertThat(tables)
                .contains("feature_stats", "feature_activations_by_token", "top_examples", "runs", "downstream_stats");
        for (String table : tables) {
            List<List<String>> rows = dump(current, table);
            assertThat(rows).as(table).isNotEmpty().isEqualTo(dump(old, table));
        }
    }

    @Test
    void theDemoReportsTheSameOnBothServers() throws IOException {
        assertThat(currentReport.tokens()).isEqualTo(oldReport.tokens()).isEqualTo(DemoText.tokens(demoWindows()));
        assertThat(currentReport.saes()).hasSize(2).isEqualTo(oldReport.saes());
        assertThat(currentReport.answer().rows().rows())
                .isNotEmpty()
                .isEqualTo(oldReport.answer().rows().rows());
    }

    @Test
    void everyResultsReaderMethodReadsTheSameOnBothServers() throws Exception {
        Map<String, Function<ResultsReader, Object>> reads = new LinkedHashMap<>();
        reads.put("runs", r -> withoutTimes(r.runs()));
        reads.put("run", r -> withoutTimes(r.run(RUN).orElseThrow()));
        reads.put("undecodableRecords", ResultsReader::undecodableRecords);
        reads.put("countedTokens", r -> r.countedTokens(RUN, List.of(Site.parse("res.6"), Site.parse("res.7"))));
        reads.put("evaluations", r -> r.evaluations(RUN, List.of(sae1)));
        reads.put("producedSites", r -> r.producedSites(RUN));
        reads.put("enqueuedCorpus", r -> r.enqueuedCorpus(RUN).orElseThrow());
        reads.put("workerProgress", r -> r.workerProgress(RUN));
        reads.put("countedDocuments", r -> r.countedDocuments(RUN));
        reads.put("featureCount", r -> r.featureCount(RUN, sae0));
        reads.put("features by density", r -> r.features(RUN, sae0, false, 5, 20));
        reads.put("features by max", r -> r.features(RUN, sae1, true, 0, 20));
        int feature = densestFeature();
        reads.put("feature", r -> r.feature(RUN, sae0, feature).orElseThrow());
        reads.put("histogram", r -> r.histogram(RUN, sae0, feature));
        reads.put("topExamples", r -> r.topExamples(RUN, sae0, feature));
        reads.put("intervalSamples", r -> r.intervalSamples(RUN, sae0, feature));
        reads.put("contextWindows", r -> r.contextWindows(RUN, List.of(0L, 3L, 99L)));
        for (Map.Entry<String, Function<ResultsReader, Object>> read : reads.entrySet()) {
            Object answer = read.getValue().apply(current.reader());
            assertThat(answer).as(read.getKey()).isEqualTo(read.getValue().apply(old.reader()));
            assertThat(answer.toString()).as(read.getKey() + " is not empty").isNotIn("[]", "{}", "0");
        }
        // The two demos wrote their SAE files apart (and npz files differ in their zip timestamps).
        for (String name : List.of("old", "current")) {
            Path params = SERVICES.workDir().resolve("demo-" + name + "/saes/sae_0/params.npz");
            assertThat((name.equals("old") ? old : current).reader().registeredSaeSha256(sae0))
                    .contains(RunsRegistry.sha256(params));
        }
    }

    @Test
    void runsRegistryMarksAFailedRunAlikeOnBothServers() throws IOException {
        RunsRegistry.Run run = new RunsRegistry.Run(
                "failed-run",
                "m",
                List.of(Site.parse("att.1")),
                List.of(new SaeSpec("s", Site.parse("att.1"), "/nowhere")),
                "c",
                Instant.parse("2026-01-01T00:00:00Z"));
        for (Server server : List.of(old, current)) {
            RunsRegistry.markRunning(server.http(), DB, run);
            RunsRegistry.markFailed(server.http(), DB, run, 42, "boom:\n\tat somewhere");
        }
        assertThat(withoutTimes(current.reader().run("failed-run").orElseThrow()))
                .isEqualTo(withoutTimes(old.reader().run("failed-run").orElseThrow()))
                .contains("failed: boom: at somewhere");
        assertThat(RunsRegistry.committedTokens(current.http(), DB, RUN))
                .isEqualTo(RunsRegistry.committedTokens(old.http(), DB, RUN))
                .isEqualTo(DemoText.countedTokens(demoWindows()));
    }

    @Test
    void everyDashboardPageShowsTheSameOnBothServers() throws Exception {
        String run = "run=" + encode(RUN) + "&sae=" + encode(sae0);
        String feature = "/feature?" + run + "&f=" + densestFeature();
        // The demo publishes no documents: doc 0's window (positions 0..2) is the one written above.
        String busiestToken = old.http()
                .query("SELECT position FROM " + DB + ".feature_activations_by_token FINAL WHERE run_id = "
                        + ClickHouseTsv.quote(RUN) + " AND sae_id = " + ClickHouseTsv.quote(sae0)
                        + " AND doc_id = 0 AND position < 3 GROUP BY position ORDER BY count() DESC, position LIMIT 1")
                .get(0)
                .get(0);
        String document = "/doc?" + run + "&doc=0&position=" + busiestToken;
        List<String> pages = List.of(
                "/", "/run?id=" + encode(RUN), "/sae?" + run, "/sae?" + run + "&sort=max&page=1", feature, document);
        try (Dashboard onOld = Dashboard.start(old.url(), SERVICES.clickHouse().reader(), DB, 0);
                Dashboard onCurrent = Dashboard.start(current.url(), null, DB, 0)) {
            for (String page : pages) {
                HttpResponse<String> answer = get(onCurrent, page);
                assertThat(answer.statusCode()).as(page).isEqualTo(200);
                assertThat(answer.body()).as(page).contains(RUN);
                assertThat(withoutTimes(answer.body()))
                        .as(page)
                        .isEqualTo(withoutTimes(get(onOld, page).body()));
            }
            // The activation-store parts are there to compare: shaded windows, top tokens, a token's features.
            assertThat(get(onCurrent, feature).body())
                    .contains("<td class=\"window\">", "data-activation=", "<h2>Top tokens</h2><table")
                    .contains("<h2>Co-occurring features</h2>");
            assertThat(get(onCurrent, document).body()).contains("data-feature=", "<table class=\"token-features\">");
        }
    }

    /**
     * The queries the project documents, each run on both servers: the place to add one (e.g. a named query). Rows
     * compare as sets: ties in ORDER BY may come in another order; with LIMIT only the count compares, since ties
     * at the limit may pick other rows.
     */
    static Stream<String> documentedQueries() {
        return Stream.concat(
                RunSummary.summaryQueries(DB, RUN).stream(), Stream.of(RunJobCommand.resultsQuery(DB, RUN)));
    }

    @ParameterizedTest
    @MethodSource("documentedQueries")
    void documentedQueriesAnswerAlikeOnBothServers(String sql) {
        List<List<String>> answer = current.http().query(sql);
        List<List<String>> reference = old.http().query(sql);
        assertThat(answer).as(sql).hasSameSizeAs(reference);
        if (!sql.contains(" LIMIT ")) {
            assertThat(sorted(answer)).as(sql).isEqualTo(sorted(reference));
        }
    }

    /** Every named query, run with arguments that hit the demo's stored activations of its first SAE. */
    static Stream<String> namedQueries() {
        return NamedQueries.all().stream().map(NamedQuery::name);
    }

    /**
     * The named queries define a total order (ties broken by feature, position, token or doc id), so their answers
     * must be equal row for row, LIMIT included.
     */
    @ParameterizedTest
    @MethodSource("namedQueries")
    void namedQueriesAnswerAlikeOnBothServers(String name) {
        NamedQuery query = NamedQueries.named(name);
        int feature = densestFeature();
        List<String> topExample = topExampleOfDensestFeature();
        Map<String, String> arguments = Map.of(
                "run",
                RUN,
                "sae",
                sae0,
                "feature",
                String.valueOf(feature),
                "doc",
                topExample.get(0),
                "position",
                topExample.get(1),
                "to",
                "64");
        Map<String, String> given = new HashMap<>();
        for (NamedQuery.Parameter parameter : query.parameters()) {
            if (arguments.containsKey(parameter.name())) {
                given.put(parameter.name(), arguments.get(parameter.name()));
            }
        }
        String sql = query.sql(DB, given);
        List<List<String>> reference = old.http().query(sql);
        assertThat(reference).as("the demo's data answers %s", sql).isNotEmpty();
        assertThat(current.http().query(sql)).as(sql).isEqualTo(reference);
    }

    /**
     * Every row as merged (FINAL), in a total order, without what differs between the two demos: times, and the
     * SAE files' paths and hashes (each demo wrote its own).
     */
    private static List<List<String>> dump(Server server, String table) {
        List<String> columns = server
                .http()
                .query("SELECT name FROM system.columns WHERE database = " + ClickHouseTsv.quote(DB) + " AND table = "
                        + ClickHouseTsv.quote(table)
                        + " AND type NOT LIKE 'DateTime%' AND name NOT IN ('path', 'sha256')") // table order
                .stream()
                .map(row -> row.get(0))
                .toList();
        String list = String.join(", ", columns);
        return server.http().query("SELECT " + list + " FROM " + DB + "." + table + " FINAL ORDER BY " + list);
    }

    /** The feature of the first SAE that fires most, so that its histogram and examples are not empty. */
    private static int densestFeature() {
        return Integer.parseInt(old.http()
                .query("SELECT feature FROM " + DB + ".feature_stats FINAL WHERE run_id = " + ClickHouseTsv.quote(RUN)
                        + " AND sae_id = " + ClickHouseTsv.quote(sae0) + " ORDER BY fire_count DESC, feature LIMIT 1")
                .get(0)
                .get(0));
    }

    /** The document and position of the densest feature's rank-1 top example. */
    private static List<String> topExampleOfDensestFeature() {
        return old.http()
                .query("SELECT doc_id, position FROM " + DB + ".top_examples FINAL WHERE run_id = "
                        + ClickHouseTsv.quote(RUN) + " AND sae_id = " + ClickHouseTsv.quote(sae0) + " AND feature = "
                        + densestFeature() + " AND rank = 1")
                .get(0);
    }

    private static String withoutTimes(Object value) {
        return value.toString().replaceAll(TIME, "<time>");
    }

    private static List<List<String>> sorted(List<List<String>> rows) {
        return rows.stream().sorted(Comparator.comparing(Object::toString)).toList();
    }

    private static HttpResponse<String> get(Dashboard dashboard, String page) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(dashboard.url()).resolve(page))
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
