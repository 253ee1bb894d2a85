package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.DocumentsRows;
import dev.scopeflow.schemas.results.DownstreamStatsRows;
import dev.scopeflow.schemas.results.FeatureHistogramsRows;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import dev.scopeflow.schemas.results.IntervalSamplesRows;
import dev.scopeflow.schemas.results.ReconstructionStatsRows;
import dev.scopeflow.schemas.results.RunCorpusRows;
import dev.scopeflow.schemas.results.RunsRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import dev.scopeflow.schemas.results.TopExamplesRows;
import dev.scopeflow.schemas.results.WorkerProgressRows;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard against a real ClickHouse server: known rows (with stale versions that only FINAL hides, and
 * ids full of markup) go in, every page is fetched over HTTP, and the numbers shown are compared with values
 * computed here from the same inputs.
 */
class DashboardITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    private static final String DB = "dashboard_it";
    // Markup, but none of the characters ids may not hold (quotes, backslash, ';', controls).
    private static final String RUN = "run<script>alert(1)</script>&amp";
    /** A stored run whose id would reorder the text around it, were it not neutralised. */
    private static final String BIDI_RUN = "evil\u202Egnp.exe\u2066x";

    private static final String SAE = "sae<b>1</b>";
    private static final int FEATURES = 40;
    private static final ReconstructionStatsRows.RawSums SUMS =
            new ReconstructionStatsRows.RawSums(1, 2, 3, 4, new double[] {5});
    private static final long TOKENS = 1000;
    private static final long FEATURE = 7;

    private static ClickHouseLogin reader;
    private static Dashboard dashboard;
    private static Dashboard idsOnlyDashboard;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startServices() throws IOException {
        ClickHouseHttp ch = SERVICES.clickHouse().http();
        reader = SERVICES.clickHouse().reader();
        ClickHouseMigrations.apply(ch, DB);
        insertRows(ch);
        new RunsRows()
                .add(
                        BIDI_RUN,
                        "m",
                        List.of("res.20"),
                        List.of(),
                        "c",
                        1,
                        "done",
                        Instant.EPOCH,
                        Instant.EPOCH,
                        Instant.EPOCH)
                .insertInto(ch, DB);
        // The read-only user, as `scopeflow dashboard` uses; a decoder whose output needs escaping, to prove token
        // strings are escaped too.
        dashboard = Dashboard.start(SERVICES.clickHouse().httpUrl(), reader, DB, 0, id -> "<" + id + ">");
        idsOnlyDashboard = Dashboard.start(SERVICES.clickHouse().httpUrl(), reader, DB, 0);
    }

    @AfterAll
    static void stopServices() {
        if (dashboard != null) {
            dashboard.close();
        }
        if (idsOnlyDashboard != null) {
            idsOnlyDashboard.close();
        }
    }

    // ---- the data, and what the pages must show, computed from it independently ----

    static long fires(int f) {
        return f % 5 == 0 ? 0 : (f * 37L) % 300;
    }

    static double activationSum(int f) {
        return fires(f) * (1 + f / 10.0);
    }

    static double activationMax(int f) {
        return 2 + f;
    }

    private static final double[][] X = {{1, 2, 3}, {2, 0, 1}, {0, 1, 1}, {3, 3, 0}};
    private static final double[][] X_HAT = {{1.1, 1.8, 2.5}, {2.2, 0.3, 1}, {0.1, 0.6, 1.2}, {2.5, 3.1, 0.4}};

    /** Centred FVU of X_HAT for X, from the definition. */
    static double fvu() {
        double err = 0;
        double var = 0;
        for (int d = 0; d < 3; d++) {
            double mean = 0;
            for (double[] x : X) {
                mean += x[d] / X.length;
            }
            for (int i = 0; i < X.length; i++) {
                err += Math.pow(X[i][d] - X_HAT[i][d], 2);
                var += Math.pow(X[i][d] - mean, 2);
            }
        }
        return err / var;
    }

    /** Writes through the results tables' own descriptions, as the sinks do; stale versions first. */
    private static void insertRows(ClickHouseHttp ch) {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<String> sites = List.of("res.20");
        new RunsRows()
                .add(RUN, "google/gemma-2-2b", sites, List.of(SAE), "corpus.txt", 10, "running", t0, Instant.EPOCH, t0)
                .add(
                        RUN,
                        "google/gemma-2-2b",
                        sites,
                        List.of(SAE),
                        "corpus.txt",
                        TOKENS,
                        "done",
                        t0,
                        t0.plusSeconds(60),
                        t0.plusSeconds(60))
                .insertInto(ch, DB);
        new SiteProgressRows()
                .add(RUN, "res.20", 1, 10, 9, t0, 1)
                .add(RUN, "res.20", 5, TOKENS, 2, t0.plusSeconds(60), 5)
                .insertInto(ch, DB);
        double fvu = fvu();
        new ReconstructionStatsRows()
                .add(RUN, SAE, 10, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 10, 1.0, SUMS)
                .add(RUN, SAE, TOKENS, 12.5, 0.25, fvu, 1 - fvu, 0.875, 0.9375, 1.0625, TOKENS, 0.5, SUMS)
                .insertInto(ch, DB);
        // an older, smaller snapshot that FINAL must hide; and the newest one (sums chosen so every metric is exact)
        new DownstreamStatsRows()
                .add(RUN, SAE, "res.20", 1, new DownstreamSums(2, 9, 9, 9, 9, 9), t0)
                .add(RUN, SAE, "res.20", 7, new DownstreamSums(8, 16, 20, 48, 2, 16), t0.plusSeconds(60))
                .insertInto(ch, DB);

        FeatureStatsRows stats = new FeatureStatsRows(2 * FEATURES);
        for (int f = 0; f < FEATURES; f++) {
            stats.add(RUN, SAE, f, 10, 10, 100.0, 100.0f, 10); // stale: every feature dense
            stats.add(RUN, SAE, f, TOKENS, fires(f), activationSum(f), (float) activationMax(f), TOKENS);
        }
        stats.insertInto(ch, DB);

        new FeatureHistogramsRows(3)
                .add(RUN, SAE, FEATURE, 30, 1.0f, 1.2589254f, 1, 10)
                .add(RUN, SAE, FEATURE, 30, 1.0f, 1.2589254f, 5, TOKENS)
                .add(RUN, SAE, FEATURE, 33, 1.9952623f, 2.5118864f, 20, TOKENS)
                .insertInto(ch, DB);
        new TopExamplesRows(3)
                .add(RUN, SAE, FEATURE, 1, 99, 0, 99.0f, 10)
                .add(RUN, SAE, FEATURE, 1, 42, 20, 9.5f, TOKENS)
                .add(RUN, SAE, FEATURE, 2, 43, 3, 8.0f, TOKENS)
                .insertInto(ch, DB);
        new IntervalSamplesRows(1)
                .add(RUN, SAE, FEATURE, 6, 1.0f, 3.1622777f, 1, 43, 3, 2.5f, TOKENS)
                .insertInto(ch, DB);

        // An enqueued run of 12 documents, 9 produced (w0's later row replaces its earlier one), 2 read by the job
        new RunCorpusRows()
                .add(RUN, "p.corpus.v1", "/corpus.txt", 12, 14, 1, 1, 0, 0, t0)
                .insertInto(ch, DB);
        new WorkerProgressRows()
                .add(RUN, "w0", "s0", 3, 3, 30, 1, 0, false, t0)
                .add(RUN, "w0", "s0", 5, 6, 50, 2, 1, true, t0.plusSeconds(5))
                .add(RUN, "w1", "s1", 4, 4, 40, 1, 0, false, t0.plusSeconds(6))
                .insertInto(ch, DB);
        // doc 42: positions 0..15, 10..49 and 16..23; position 20 is best centred in the window starting at 10.
        new DocumentsRows(1024)
                .add(RUN, 42, 0, IntStream.range(0, 16).toArray(), "doc 42")
                .add(RUN, 42, 10, IntStream.range(1010, 1050).toArray(), "")
                .add(RUN, 42, 16, IntStream.range(5016, 5024).toArray(), "")
                .add(RUN, 43, 0, IntStream.range(2000, 2010).toArray(), "doc 43")
                .insertInto(ch, DB);
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }

    // ---- pages ----

    @Test
    void runsPageShowsTheNewestVersionsAndEscapesIds() throws Exception {
        HttpResponse<String> page = get(dashboard, "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        String html = page.body();
        assertThat(html)
                .contains(Html.escape(RUN))
                .contains(Html.escape(SAE))
                .doesNotContain("<script>")
                .doesNotContain("<b>1</b>");
        String row = html.substring(html.indexOf(Html.escape(RUN)));
        assertThat(row)
                .contains("<td>done</td>")
                .contains("<td class=\"n\">" + TOKENS + "</td><td class=\"n\">5</td>" + "<td class=\"n\">2</td>");
        assertThat(html).doesNotContain("running");

        // The link on the page leads to the run.
        Matcher link = Pattern.compile("href=\"(/run\\?id=[^\"]+)\"").matcher(html);
        assertThat(link.find()).isTrue();
        assertThat(get(dashboard, link.group(1).replace("&amp;", "&")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void runPageShowsTheSaeBenchEvaluationComputedFromTheRows() throws Exception {
        HttpResponse<String> page = get(dashboard, "/run?id=" + enc(RUN));
        assertThat(page.statusCode()).isEqualTo(200);
        String html = page.body();
        assertThat(html).doesNotContain("<script>").doesNotContain("<b>1</b>");
        double fvu = fvu();
        assertThat(html)
                .contains(metric("FVU", Html.number(fvu)))
                .contains(metric("explained variance", Html.number(1 - fvu)))
                .contains(metric("L0", Html.number(12.5)))
                .contains(metric("MSE", Html.number(0.25)))
                .contains(metric("cosine", Html.number(0.875)))
                .contains(metric("relative reconstruction bias", Html.number(1.0625)));
        // production: enqueued from run_corpus, produced summed over worker sessions, counted = docs 42 and 43
        assertThat(html)
                .contains(metric("documents enqueued", "12"))
                .contains(metric("documents produced", "9"))
                .contains(metric("documents counted", "2"))
                .contains("<td>w0</td><td class=\"n\">5</td><td class=\"n\">50</td><td class=\"n\">2</td>"
                        + "<td class=\"n\">1</td><td>finished</td>")
                .contains("<td>w1</td><td class=\"n\">4</td><td class=\"n\">40</td>");
        // a run from before the activation store recorded no policy (ActivationPagesITCase has recorded ones)
        assertThat(html).contains(metric("activation store policy", "none recorded"));
        // downstream_stats' newest row: CE 2 / 2.5 / 6 per prediction, KL 0.25 / 2
        assertThat(html)
                .contains(metric("CE loss recovered", Html.number((6 - 2.5) / (6 - 2))))
                .contains(metric("ΔLM loss (CE SAE − clean)", Html.number(0.5)))
                .contains(metric(
                        "CE clean / SAE / zero", Html.number(2) + " / " + Html.number(2.5) + " / " + Html.number(6)))
                .contains(metric("KL SAE / zero", Html.number(0.25) + " / " + Html.number(2)))
                .contains(metric("KL div score", Html.number((2 - 0.25) / 2)))
                .contains(metric("predictions (windows)", "8 (7)"));

        long dead = IntStream.range(0, FEATURES).filter(f -> fires(f) == 0).count();
        long dense =
                IntStream.range(0, FEATURES).filter(f -> fires(f) > TOKENS / 10).count();
        long over1 = IntStream.range(0, FEATURES)
                .filter(f -> fires(f) > TOKENS / 100)
                .count();
        assertThat(dead).isEqualTo(8);
        assertThat(dense).isPositive().isLessThan(FEATURES - dead);
        assertThat(html)
                .contains(metric("features", String.valueOf(FEATURES)))
                .contains(metric("dead", String.valueOf(dead)))
                .contains(metric("dense (&gt; 10 %)", String.valueOf(dense)))
                .contains(metric("alive fraction", Html.number((double) (FEATURES - dead) / FEATURES)))
                .contains(metric("fraction &gt; 1 %", Html.number((double) over1 / FEATURES)))
                .contains(metric("fraction &gt; 10 %", Html.number((double) dense / FEATURES)));

        // Density histogram: the bars hold every live feature; the bin with density in [0.1, 0.178) is checked by
        // edges.
        List<Long> counts = new ArrayList<>();
        Matcher bar = Pattern.compile("data-count=\"(\\d+)\"").matcher(html);
        while (bar.find()) {
            counts.add(Long.parseLong(bar.group(1)));
        }
        assertThat(counts.stream().mapToLong(Long::longValue).sum()).isEqualTo(FEATURES - dead);
        long inTopQuarterDecadeBelowOneTenth = IntStream.range(0, FEATURES)
                .filter(f -> fires(f) >= 100 && fires(f) < Math.pow(10, -0.75) * TOKENS)
                .count();
        assertThat(html).contains("log10 density -1.00 to -0.75: " + inTopQuarterDecadeBelowOneTenth + "</title>");
        assertThat(html).contains(dead + " dead features not shown");
    }

    @Test
    void featurePageShowsStatsHistogramExamplesWithContextAndIntervalSamples() throws Exception {
        HttpResponse<String> page = get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + FEATURE);
        assertThat(page.statusCode()).isEqualTo(200);
        String html = page.body();
        int f = (int) FEATURE;
        assertThat(html)
                .contains(metric("density", Html.number((double) fires(f) / TOKENS)))
                .contains(metric("mean activation when firing", Html.number(activationSum(f) / fires(f))))
                .contains(metric("max activation", Html.number(activationMax(f))));
        // Histogram: the newest snapshot's counts, not the stale 1.
        assertThat(html)
                .contains("data-count=\"5\"")
                .contains("data-count=\"20\"")
                .doesNotContain("data-count=\"1\"");

        // Top examples: rank 1 is doc 42 (the stale doc 99 is replaced), context from the window starting at 10.
        String top = html.substring(html.indexOf("<h2>Top examples</h2>"), html.indexOf("<h2>Interval samples</h2>"));
        assertThat(top).doesNotContain(">99<");
        assertThat(contextTokens(top))
                .containsExactly(expectedContext(range(1010, 1050), 10, 20), expectedContext(range(2000, 2010), 0, 3));
        assertThat(top).contains("<span class=\"tok hit\" title=\"1020\">&lt;1020&gt;</span>");
        assertThat(top).contains(Html.number(9.5)).contains(Html.number(8.0));

        String intervals = html.substring(html.indexOf("<h2>Interval samples</h2>"));
        assertThat(intervals)
                .contains("[" + Html.number(1.0) + ", " + Html.number(3.1622777f) + ")")
                .contains(Html.number(2.5));
        assertThat(contextTokens(intervals)).containsExactly(expectedContext(range(2000, 2010), 0, 3));
    }

    @Test
    void withoutADecoderTokensAreShownAsIds() throws Exception {
        String html = get(idsOnlyDashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + FEATURE)
                .body();
        assertThat(html).contains("<span class=\"tok hit\">1020</span>").doesNotContain("&lt;1020&gt;");
    }

    @Test
    void saePageListsFeaturesSortedAndLinksToThem() throws Exception {
        String base = "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE);
        String byMax = get(dashboard, base + "&sort=max&page=0").body();
        List<Integer> shown = featureLinks(byMax);
        List<Integer> expectedByMax = IntStream.range(0, FEATURES)
                .boxed()
                .sorted((a, b) -> Double.compare(activationMax(b), activationMax(a)))
                .toList();
        assertThat(shown).isEqualTo(expectedByMax);

        String byDensity = get(dashboard, base).body();
        List<Integer> expectedByDensity = IntStream.range(0, FEATURES)
                .boxed()
                .sorted((a, b) -> fires(a) != fires(b) ? Long.compare(fires(b), fires(a)) : Integer.compare(a, b))
                .toList();
        assertThat(featureLinks(byDensity)).isEqualTo(expectedByDensity);
        assertThat(byDensity).contains(FEATURES + " features").doesNotContain("<b>1</b>");

        Matcher link = Pattern.compile("href=\"(/feature\\?[^\"]+)\"").matcher(byDensity);
        assertThat(link.find()).isTrue();
        assertThat(get(dashboard, link.group(1).replace("&amp;", "&")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void badParametersAre400() throws Exception {
        assertError(get(dashboard, "/run"), 400, "missing parameter &#39;id&#39;");
        assertError(get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=abc"), 400, "whole number");
        assertError(get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=-1"), 400, "ASCII digits");
        assertError(
                get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=99999999999999"),
                400,
                "between 0");
        assertError(
                get(dashboard, "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&sort=" + enc("<x>")), 400, "&lt;x&gt;");
        assertError(get(dashboard, "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&page=-3"), 400, "page");
    }

    @Test
    void unknownIdsAre404() throws Exception {
        assertError(get(dashboard, "/run?id=" + enc("<nope>")), 404, "no run &#39;&lt;nope&gt;&#39;");
        assertError(get(dashboard, "/sae?run=" + enc(RUN) + "&sae=other"), 404, "no feature statistics");
        assertError(get(dashboard, "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&page=1"), 404, "past the last page");
        assertError(
                get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + FEATURES), 404, "no feature");
        assertError(get(dashboard, "/nothing-here"), 404, "no page");
        assertError(get(dashboard, "/runs?id=" + enc(RUN)), 404, "no page /runs");
    }

    @Test
    void clickHouseDownIs503WithTheErrorAndNoStackTrace() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (Dashboard orphan = Dashboard.start("http://127.0.0.1:" + closedPort, reader, DB, 0)) {
            for (String path : List.of("/", "/run?id=x", "/feature?run=x&sae=y&f=1", "/doc?run=x&sae=y&doc=-1")) {
                HttpResponse<String> page = get(orphan, path);
                assertError(page, 503, "ClickHouse is unavailable");
                assertNoSql(page);
                assertThat(page.body()).doesNotContain("\tat ").doesNotContain("Exception.java");
            }
        }
    }

    @Test
    void aServerErrorIs503WithoutTheSqlOrTheServerMessage() throws Exception {
        try (Dashboard missing = Dashboard.start(SERVICES.clickHouse().httpUrl(), reader, "no_such_db", 0)) {
            for (String path : List.of(
                    "/",
                    "/run?id=" + enc(RUN),
                    "/sae?run=x&sae=y",
                    "/feature?run=x&sae=y&f=1",
                    "/doc?run=x&sae=y&doc=1&position=2")) {
                HttpResponse<String> page = get(missing, path);
                assertError(page, 503, "no ScopeFlow results in this database yet");
                assertNoSql(page);
                assertThat(page.body()).doesNotContain("no_such_db").doesNotContain("DB::Exception");
            }
        }
    }

    @Test
    void everyParameterRejectsInjectionOverlongAndBidiInputWith400() throws Exception {
        String overlong = "x".repeat(300_000);
        List<String> bad = List.of(
                "x' OR '1'='1",
                "x\\' OR 1=1 --",
                "x\"); DROP TABLE runs --",
                "x`",
                "x; DROP TABLE " + DB + ".runs",
                "a\u202Eb",
                "a\u2066b",
                "a\u200Fb",
                "a\u061Cb",
                "a\u0000b",
                "y".repeat(Params.MAX_LENGTH + 1));
        for (String value : bad) {
            for (String path : List.of(
                    "/run?id=" + enc(value),
                    "/sae?run=" + enc(value) + "&sae=" + enc(SAE),
                    "/sae?run=" + enc(RUN) + "&sae=" + enc(value),
                    "/feature?run=" + enc(value) + "&sae=" + enc(SAE) + "&f=1",
                    "/feature?run=" + enc(RUN) + "&sae=" + enc(value) + "&f=1",
                    "/doc?run=" + enc(value) + "&sae=" + enc(SAE) + "&doc=42",
                    "/doc?run=" + enc(RUN) + "&sae=" + enc(value) + "&doc=42")) {
                HttpResponse<String> page = get(dashboard, path);
                assertThat(page.statusCode()).as(path).isEqualTo(400);
                assertNoSql(page);
            }
        }
        // Numbers: ASCII digits only (Arabic-Indic 7, fullwidth 7, a plus sign), and sort/page/f capped too.
        for (String number : List.of("\u0667", "\uFF17", "+7", "7 ", "1e3", "0x7", overlong.substring(0, 401))) {
            assertThat(get(dashboard, "/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + enc(number))
                            .statusCode())
                    .as(number)
                    .isEqualTo(400);
            assertThat(get(dashboard, "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&page=" + enc(number))
                            .statusCode())
                    .as(number)
                    .isEqualTo(400);
        }
        // The 300,000-character parameter of the report: 400 without echoing it, for every page and name.
        for (String path : List.of("/", "/run", "/sae", "/feature", "/doc")) {
            for (String name : List.of("id", "run", "sae", "f", "page", "sort", "doc", "position", "other")) {
                HttpResponse<String> page = get(dashboard, path + "?" + name + "=" + overlong);
                assertThat(page.statusCode()).as(path + " " + name).isEqualTo(400);
                assertThat(page.body()).doesNotContain("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                assertNoSql(page);
            }
        }
        assertThat(get(dashboard, "/sae?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&sort=" + enc("density\u202E"))
                        .statusCode())
                .isEqualTo(400);
    }

    @Test
    void bidiControlsInStoredIdsAreShownVisiblyNotObeyed() throws Exception {
        String html = get(dashboard, "/").body();
        assertThat(html).contains("evil&lt;U+202E&gt;gnp.exe&lt;U+2066&gt;x").doesNotContain("\u202E", "\u2066");
    }

    @Test
    void aForeignHostIsRefused() throws Exception {
        // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends its own Host.
        for (String host : List.of("evil.example:" + dashboard.port(), "evil.example", "127.0.0.1", "127.0.0.1:1")) {
            assertThat(rawGet(dashboard.port(), "/", host)).as(host).startsWith("HTTP/1.1 421");
        }
        for (String host : List.of("127.0.0.1:", "localhost:", "[::1]:")) {
            assertThat(rawGet(dashboard.port(), "/", host + dashboard.port()))
                    .as(host)
                    .startsWith("HTTP/1.1 200");
        }
    }

    // ---- helpers ----

    /** A GET with exactly the Host header given (java.net.http does not let a test set it). */
    private static String rawGet(int port, String path, String host) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertNoSql(HttpResponse<String> page) {
        assertThat(page.body())
                .doesNotContainIgnoringCase("select ")
                .doesNotContain("FROM ")
                .doesNotContain("FINAL");
    }

    private static String metric(String nameHtml, String value) {
        return "<th>" + nameHtml + "</th><td class=\"n\">" + value + "</td>";
    }

    /** Token ids of each example row's context, in order, as the page shows them (decoder "<id>"). */
    private static List<List<Integer>> contextTokens(String html) {
        List<List<Integer>> rows = new ArrayList<>();
        Matcher cell = Pattern.compile("<td class=\"context\">(.*?)</td>").matcher(html);
        while (cell.find()) {
            List<Integer> ids = new ArrayList<>();
            Matcher token = Pattern.compile("title=\"(\\d+)\"").matcher(cell.group(1));
            while (token.find()) {
                ids.add(Integer.parseInt(token.group(1)));
            }
            rows.add(ids);
        }
        return rows;
    }

    /** ±8 tokens around {@code position} from a window, clipped at its ends. */
    private static List<Integer> expectedContext(List<Integer> window, int windowStart, int position) {
        int at = position - windowStart;
        return window.subList(Math.max(0, at - 8), Math.min(window.size(), at + 9));
    }

    private static List<Integer> featureLinks(String html) {
        List<Integer> features = new ArrayList<>();
        Matcher link = Pattern.compile("&amp;f=(\\d+)\">").matcher(html);
        while (link.find()) {
            features.add(Integer.parseInt(link.group(1)));
        }
        return features;
    }

    private static void assertError(HttpResponse<String> page, int status, String messageHtml) {
        assertThat(page.statusCode()).as(page.uri() + " " + page.body()).isEqualTo(status);
        assertThat(page.body()).contains("Error " + status).contains(messageHtml);
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(Dashboard target, String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + pathAndQuery))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
