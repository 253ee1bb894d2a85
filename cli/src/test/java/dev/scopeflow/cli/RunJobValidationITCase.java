package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.RunSitesRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9, finding 2: a mistaken {@code run-job} on a finished run (an SAE of the wrong width, a site the run never
 * produced, a run never produced, an invalid run id, an SAE id already taken by other weights) fails with one clear
 * message and exit code 1, and every table of the database stays byte-for-byte as it was; a job that adds an SAE
 * to the run adds to the registry's SAE list; a job that counts no token fails. The finished run is made by the
 * demo, which records its site and width the way {@code produce} does.
 */
class RunJobValidationITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final String DB = "validate_it";
    private static final String PREFIX = "validate";
    private static final Site SITE = Site.parse("res.3");
    private static final int WIDTH = 24;
    private static final int DOCS = 6;
    private static final int SEQ_LEN = 12;

    private static ClickHouseHttp http;
    private static String firstSaeId;
    /** What the demo's run counts: the document tokens of its windows of the bundled text, BOS excluded. */
    private static long countedTokens;

    @BeforeAll
    static void finishARun() throws Exception {
        http = SERVICES.clickHouse().http();
        countedTokens = DemoText.countedTokens(DemoText.windows(DOCS, SEQ_LEN));
        Demo.Settings settings = new Demo.Settings(
                SERVICES.workDir().resolve("demo"), "finished", SITE, DOCS, SEQ_LEN, WIDTH, 40, 1, 1, 5);
        ServiceOptions options = TestingServiceOptions.parse(
                ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK), services());
        try (Services services = options.resolve(new PrintStream(new ByteArrayOutputStream(), true))) {
            firstSaeId = Demo.run(settings, services, new PrintStream(new ByteArrayOutputStream(), true))
                    .saes()
                    .get(0)
                    .saeId();
        }
        assertThat(http.query("SELECT status, tokens, sites, saes FROM " + DB + ".runs FINAL"))
                .containsExactly(
                        List.of("finished", String.valueOf(countedTokens), "['res.3']", "['" + firstSaeId + "']"));
    }

    @Test
    void mistakenJobsFailClearlyAndLeaveEveryTableUnchanged() throws Exception {
        Path right = sae("right", WIDTH, 7);
        Path narrow = sae("narrow", 16, 8);
        Map<String, List<List<String>>> before = dumpAll();
        assertThat(before.get("feature_stats"))
                .filteredOn(row -> row.get(1).equals(firstSaeId))
                .hasSize(40);

        assertRefused(
                List.of("--run-id", "finished", "--sae", "narrow=res.3=" + narrow),
                "SAE 'narrow' (" + narrow + ") has d_in 16, but run 'finished' recorded width 24 at res.3");
        assertRefused(
                List.of("--run-id", "finished", "--sae", "z=res.99=" + right),
                "SAE 'z' reads site res.99, which run 'finished' has no activations at (it has [res.3])");
        assertRefused(
                List.of("--run-id", "never-made", "--sae", "s=res.3=" + right),
                "run 'never-made' has no activations recorded in run_sites");
        assertRefused(List.of("--run-id", "my run/1", "--sae", "s=res.3=" + right), "run id 'my run/1'");
        assertRefused(
                List.of("--run-id", "finished", "--sae", firstSaeId + "=res.3=" + right),
                "SAE id '" + firstSaeId + "' is already registered for other weights");

        assertThat(dumpAll()).isEqualTo(before);
    }

    @Test
    void aSecondSaeIsAddedToTheRunsSaeList() throws Exception {
        Path second = sae("second", WIDTH, 9);
        List<List<String>> firstStats = dump("feature_stats WHERE sae_id = " + ClickHouseTsv.quote(firstSaeId));
        List<List<String>> progress = dump("site_progress WHERE run_id = 'finished'");

        assertThat(runJob(List.of("--run-id", "finished", "--sae", "second=res.3=" + second))
                        .exit())
                .isZero();

        long tokens = countedTokens;
        assertThat(http.query(
                        "SELECT status, tokens, sites, saes FROM " + DB + ".runs FINAL WHERE run_id = 'finished'"))
                .containsExactly(
                        List.of("finished", String.valueOf(tokens), "['res.3']", "['" + firstSaeId + "','second']"));
        assertThat(dump("feature_stats WHERE sae_id = " + ClickHouseTsv.quote(firstSaeId)))
                .isEqualTo(firstStats);
        assertThat(http.query("SELECT count(), min(n_tokens), max(n_tokens) FROM " + DB
                        + ".feature_stats FINAL WHERE run_id = 'finished' AND sae_id = 'second'"))
                .containsExactly(List.of("40", String.valueOf(tokens), String.valueOf(tokens)));
        // same records and tokens, so the same version: the progress row's numbers stay those of the finished run
        List<String> was = progress.get(0); // run_id, site, records, tokens, dead_letters, updated_at, version
        assertThat(http.query("SELECT site, records, tokens, dead_letters, version FROM " + DB
                        + ".site_progress FINAL WHERE run_id = 'finished'"))
                .containsExactly(List.of(was.get(1), was.get(2), was.get(3), was.get(4), was.get(6)));
        assertThat(was.get(1)).isEqualTo(SITE.toString());
        assertThat(was.get(3)).isEqualTo(String.valueOf(tokens));
    }

    @Test
    void aJobThatCountsNoTokenFails() throws Exception {
        // documents of one token: BOS only, which Gemma Scope SAEs exclude
        TopicNames topics = TopicNames.withPrefix(PREFIX);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            new SyntheticActivations("only-bos", "m", SITE, WIDTH, ActivationDtype.F32, 3)
                    .documents(0, 4, 1, 8)
                    .forEach(publisher::publish);
        }
        new RunSitesRows().add("only-bos", SITE, WIDTH, "m", Instant.now()).insertInto(http, DB);
        // Another job of the run counted tokens at another site: this job's own site still counted none.
        new SiteProgressRows()
                .add("only-bos", "res.9", 4, 1000, 0, Instant.now(), 1004)
                .insertInto(http, DB);

        CommandRun.Output result =
                runJob(List.of("--run-id", "only-bos", "--sae", "bos=res.3=" + sae("bos", WIDTH, 10)));

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("the job for run only-bos counted 0 tokens at [res.3]");
    }

    private static Path sae(String name, int dIn, long seed) throws Exception {
        Path params = SERVICES.workDir().resolve("saes").resolve(name).resolve("params.npz");
        DemoSaeWriter.write(params, dIn, 40, seed);
        return params;
    }

    private static void assertRefused(List<String> args, String message) {
        CommandRun.Output result = runJob(args);
        assertThat(result.exit()).as(String.join(" ", args)).isEqualTo(1);
        assertThat(result.err()).as(String.join(" ", args)).contains(message);
        assertThat(result.out()).doesNotContain("Done.");
    }

    private static CommandRun.Output runJob(List<String> args) {
        List<String> all = new ArrayList<>(List.of("run-job", "--parallelism", "1"));
        all.addAll(args);
        all.addAll(List.of(services()));
        return CommandRun.execute(all.toArray(String[]::new));
    }

    private static String[] services() {
        List<String> options = new ArrayList<>(
                List.of("--kafka", SERVICES.kafka().bootstrapServers(), "--database", DB, "--topic-prefix", PREFIX));
        options.addAll(SERVICES.clickHouseWriterOptions());
        return options.toArray(String[]::new);
    }

    /**
     * Every table of the database, all rows as stored (merged first, so background merges cannot differ); not the
     * materialized views, whose rows are their target table's (and which cannot be optimized).
     */
    private static Map<String, List<List<String>>> dumpAll() {
        Map<String, List<List<String>>> tables = new LinkedHashMap<>();
        for (List<String> row : http.query("SELECT name FROM system.tables WHERE database = '" + DB
                + "' AND engine != 'MaterializedView' ORDER BY name")) {
            tables.put(row.get(0), dump(row.get(0)));
        }
        return tables;
    }

    private static List<List<String>> dump(String tableAndWhere) {
        String table = tableAndWhere.split(" ")[0];
        http.execute("OPTIMIZE TABLE " + DB + "." + table + " FINAL");
        List<List<String>> rows = new ArrayList<>(http.query("SELECT * FROM " + DB + "." + tableAndWhere));
        rows.sort(Comparator.comparing(List::toString));
        return rows;
    }
}
