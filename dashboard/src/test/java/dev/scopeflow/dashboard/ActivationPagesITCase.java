package dev.scopeflow.dashboard;

import static dev.scopeflow.cluster.ActivationStoreFixture.RUN;
import static dev.scopeflow.cluster.ActivationStoreFixture.SAE;
import static dev.scopeflow.cluster.ActivationStoreFixture.TOP_K;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.cluster.ActivationStoreFixture;
import dev.scopeflow.cluster.ActivationStoreFixture.Activation;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import dev.scopeflow.schemas.results.SiteProgressRows;
import dev.scopeflow.schemas.results.StorePoliciesRows;
import dev.scopeflow.schemas.results.TopExamplesRows;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pages over the activation store (a feature's shaded top windows, top tokens and co-occurring features; a
 * document's tokens and the features at one of them) against a real ClickHouse 18.16 holding
 * {@link ActivationStoreFixture}'s rows, replayed duplicates included: every value a page shows is compared with
 * the fixture's rows held in memory. The fixture also writes rows of another run; that run's store policy is
 * {@code none}, and its pages must say so rather than show those rows. (Checked once by making
 * {@code Pages.noActivationsStored} always empty: {@link #aRunThatStoredNothingSaysSo} failed on the other run's
 * 9.0 values shown; and by dropping {@code Html.escape} from the token text of {@code Pages.tokenLink}:
 * {@link #tokenTextIsEscaped} failed on a raw {@code <script>}.)
 */
class ActivationPagesITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    private static final String DB = "activation_pages_it";
    /** Stored activations of the fixture's run and SAE, but a recorded policy of none. */
    private static final String NONE_RUN = "other-run";
    /** A run with statistics but no store policy recorded, as before the activation store. */
    private static final String OLD_RUN = "old-run";

    private static final ActivationStoreFixture STORE = new ActivationStoreFixture(5);
    /** A token whose text is markup: the decoder below gives it. */
    private static final int SCRIPT_TOKEN = 13;

    private static final String SCRIPT = "<script>alert(1)</script>";
    private static final IntFunction<String> DECODER = id -> id == SCRIPT_TOKEN ? SCRIPT : "t" + id;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A token of a window or a document: class, href, position, strongest feature, value, opacity, text. */
    private static final Pattern TOKEN = Pattern.compile("<a class=\"(tok(?: hit| sel)?)\" href=\"([^\"]*)\""
            + " data-position=\"(\\d+)\"(?: data-feature=\"(\\d+)\")?(?: data-activation=\"([^\"]+)\""
            + " style=\"background:rgba\\(255,140,0,([0-9.]+)\\)\")? title=\"[^\"]*\">([^<]*)</a>");

    private static Dashboard dashboard;

    @BeforeAll
    static void writeTheStore() {
        ClickHouseHttp ch = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(ch, DB);
        STORE.insertInto(ch, DB);
        long tokens =
                STORE.documents().values().stream().mapToLong(t -> t.length).sum();
        FeatureStatsRows stats = new FeatureStatsRows(3 * ActivationStoreFixture.D_SAE);
        for (int f = 0; f < ActivationStoreFixture.D_SAE; f++) {
            List<Activation> rows = of(f);
            double sum = rows.stream().mapToDouble(Activation::activation).sum();
            stats.add(RUN, SAE, f, tokens, rows.size(), sum, max(f), 1);
            stats.add(NONE_RUN, SAE, f, tokens, rows.size(), sum, 9f, 1);
            stats.add(OLD_RUN, SAE, f, tokens, rows.size(), sum, 9f, 1);
        }
        stats.insertInto(ch, DB);
        new StorePoliciesRows()
                .add(RUN, SAE, "top-per-token 8", Instant.EPOCH)
                .add(RUN, SAE, "all", Instant.EPOCH.plusSeconds(1)) // the latest wins
                .add(NONE_RUN, SAE, "all", Instant.EPOCH)
                .add(NONE_RUN, SAE, StorePoliciesRows.NONE, Instant.EPOCH.plusSeconds(1))
                .insertInto(ch, DB);
        new TopExamplesRows(1).add(NONE_RUN, SAE, 0, 1, 0, 0, 9f, 1).insertInto(ch, DB);
        SiteProgressRows progress = new SiteProgressRows();
        for (String run : List.of(RUN, NONE_RUN, OLD_RUN)) {
            progress.add(run, "res.1", 1, 1, 0, Instant.EPOCH, 2); // so each run has a run page
        }
        progress.insertInto(ch, DB);
        dashboard = Dashboard.start(
                SERVICES.clickHouse().httpUrl(), SERVICES.clickHouse().reader(), DB, 0, DECODER);
    }

    @AfterAll
    static void stop() {
        if (dashboard != null) {
            dashboard.close();
        }
    }

    /** The features checked: the densest, some of every density, the sparsest that fires at all. */
    private static List<Integer> features() {
        List<Integer> firing = STORE.activations().stream()
                .map(Activation::feature)
                .distinct()
                .sorted(Comparator.comparingInt((Integer f) -> -of(f).size()).thenComparingInt(f -> f))
                .toList();
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < firing.size(); i += 7) {
            chosen.add(firing.get(i));
        }
        chosen.add(firing.get(firing.size() - 1));
        return chosen;
    }

    @Test
    void featureWindowsShadeEveryTokenByItsStoredActivation() throws Exception {
        for (int f : features()) {
            String html = page("/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + f);
            Map<Long, List<List<Object>>> expected = STORE.featureWindows(f, TOP_K, TokenContext.RADIUS).stream()
                    .collect(Collectors.groupingBy(r -> (Long) r.get(0), TreeMap::new, Collectors.toList()));
            List<String> cells = cells(section(html, "<h2>Top examples</h2>", "<h2>Interval samples</h2>"), "window");
            assertThat(cells)
                    .as("feature %d windows", f)
                    .hasSize(expected.size())
                    .isNotEmpty();
            int rank = 0;
            for (List<List<Object>> window : expected.values()) {
                List<Matcher> tokens = tokens(cells.get(rank++));
                assertThat(tokens).as("feature %d rank %d", f, rank).hasSameSizeAs(window);
                for (int i = 0; i < window.size(); i++) {
                    List<Object> want = window.get(i);
                    long doc = (Long) want.get(1);
                    long position = (Long) want.get(3);
                    float activation = (Float) want.get(5);
                    Matcher token = tokens.get(i);
                    String at = "feature " + f + " doc " + doc + " position " + position;
                    assertThat(Long.parseLong(token.group(3))).as(at).isEqualTo(position);
                    assertThat(Float.parseFloat(token.group(5))).as(at).isEqualTo(activation);
                    assertThat(token.group(6)).as(at).isEqualTo(opacity(activation, max(f)));
                    assertThat(token.group(7)).as(at).isEqualTo(Html.escape(DECODER.apply((int) (long) want.get(4))));
                    assertThat(token.group(1)).as(at).isEqualTo(position == (Long) want.get(2) ? "tok hit" : "tok");
                    assertThat(token.group(2)).as(at).isEqualTo(docHref(RUN, doc, position));
                }
            }
        }
    }

    @Test
    void featurePageListsTopTokensAndCoOccurringFeaturesOfTheFixture() throws Exception {
        for (int f : features()) {
            String html = page("/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + f);
            List<List<Object>> tokens = STORE.featureTokens(f, Pages.STORE_ROWS);
            List<List<String>> tokenRows = rows(section(html, "<h2>Top tokens</h2>", "<h2>Co-occurring features</h2>"));
            assertThat(tokenRows).as("feature %d top tokens", f).hasSameSizeAs(tokens);
            for (int i = 0; i < tokens.size(); i++) {
                List<Object> want = tokens.get(i);
                List<String> shown = tokenRows.get(i);
                assertThat(shown.get(0)).contains(">" + Html.escape(DECODER.apply((int) (long) want.get(0))) + "<");
                assertThat(Long.parseLong(shown.get(1))).isEqualTo(want.get(1));
                assertThat(Double.parseDouble(shown.get(2))).isCloseTo((Double) want.get(2), within(1e-5));
                assertThat(Float.parseFloat(shown.get(3))).isCloseTo((Float) want.get(3), within(1e-5f));
            }

            List<List<Object>> together = STORE.coOccurringFeatures(f, Pages.STORE_ROWS);
            List<List<String>> coRows = rows(section(html, "<h2>Co-occurring features</h2>", null));
            assertThat(coRows).as("feature %d co-occurring", f).hasSameSizeAs(together);
            for (int i = 0; i < together.size(); i++) {
                List<Object> want = together.get(i);
                List<String> shown = coRows.get(i);
                assertThat(shown.get(0))
                        .isEqualTo("<a href=\"" + featureHref(RUN, (Long) want.get(0)) + "\">" + want.get(0) + "</a>");
                assertThat(Long.parseLong(shown.get(1))).isEqualTo(want.get(1));
                assertThat(Long.parseLong(shown.get(2))).isEqualTo(want.get(2));
                assertThat(Double.parseDouble(shown.get(3))).isCloseTo((Double) want.get(4), within(1e-5));
            }
        }
        // The links lead to the co-occurring feature's own page.
        int f = features().get(0);
        long g = (Long) STORE.coOccurringFeatures(f, 1).get(0).get(0);
        assertThat(page(featureHref(RUN, g).replace("&amp;", "&"))).contains("<h1>Feature " + g + " of");
    }

    @Test
    void documentPageShadesEveryTokenByItsStrongestFeature() throws Exception {
        for (Map.Entry<Long, int[]> document : STORE.documents().entrySet()) {
            long doc = document.getKey();
            int[] ids = document.getValue();
            String html = page(docHref(RUN, doc, 0).replace("&amp;", "&"));
            List<Matcher> tokens = tokens(section(html, "<p class=\"document\">", "</p>"));
            assertThat(tokens).as("doc %d", doc).hasSize(ids.length);
            float strongestOfAll = (float) STORE.activations().stream()
                    .filter(a -> a.doc() == doc)
                    .mapToDouble(Activation::activation)
                    .max()
                    .orElseThrow();
            for (int p = 0; p < ids.length; p++) {
                int position = p;
                Activation strongest = STORE.activations().stream()
                        .filter(a -> a.doc() == doc && a.position() == position)
                        .min(Comparator.comparingDouble((Activation a) -> -a.activation())
                                .thenComparingInt(Activation::feature))
                        .orElse(null);
                Matcher token = tokens.get(p);
                String at = "doc " + doc + " position " + p;
                assertThat(token.group(1)).as(at).isEqualTo(p == 0 ? "tok sel" : "tok");
                assertThat(token.group(2)).as(at).isEqualTo(docHref(RUN, doc, p));
                assertThat(Integer.parseInt(token.group(3))).as(at).isEqualTo(p);
                assertThat(token.group(7)).as(at).isEqualTo(Html.escape(DECODER.apply(ids[p])));
                if (strongest == null) {
                    assertThat(token.group(4)).as(at).isNull();
                    assertThat(token.group(5)).as(at).isNull();
                } else {
                    assertThat(Integer.parseInt(token.group(4))).as(at).isEqualTo(strongest.feature());
                    assertThat(Float.parseFloat(token.group(5))).as(at).isEqualTo(strongest.activation());
                    assertThat(token.group(6)).as(at).isEqualTo(opacity(strongest.activation(), strongestOfAll));
                }
            }
        }
    }

    @Test
    void clickingATokenListsItsFeaturesWithValuesAndLinks() throws Exception {
        for (Map.Entry<Long, int[]> document : STORE.documents().entrySet()) {
            long doc = document.getKey();
            for (int position : new int[] {0, 1, document.getValue().length / 2, document.getValue().length - 1}) {
                String html = page(docHref(RUN, doc, position).replace("&amp;", "&"));
                List<List<Object>> expected = STORE.featuresAtToken(doc, position);
                String at = "doc " + doc + " position " + position;
                assertThat(html).as(at).contains("<h2>Features at position " + position + " (");
                if (expected.isEmpty()) {
                    assertThat(html).as(at).contains("No feature stored at this token.");
                    continue;
                }
                List<List<String>> shown = rows(section(html, "Features at position", null));
                assertThat(shown).as(at).hasSameSizeAs(expected);
                for (int i = 0; i < expected.size(); i++) {
                    long feature = (Long) expected.get(i).get(0);
                    assertThat(shown.get(i).get(0))
                            .as(at)
                            .isEqualTo("<a href=\"" + featureHref(RUN, feature) + "\">" + feature + "</a>");
                    assertThat(Float.parseFloat(shown.get(i).get(1)))
                            .as(at)
                            .isCloseTo((Float) expected.get(i).get(1), within(1e-5f));
                }
                Matcher exact = Pattern.compile("data-activation=\"([^\"]+)\">").matcher(section(html, "<h2>", null));
                List<Float> values = new ArrayList<>();
                while (exact.find()) {
                    values.add(Float.parseFloat(exact.group(1)));
                }
                assertThat(values)
                        .as(at)
                        .isEqualTo(expected.stream().map(r -> (Float) r.get(1)).toList());
            }
        }
    }

    @Test
    void windowsLinkToTheirDocumentPages() throws Exception {
        int f = features().get(0);
        String html = page("/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + f);
        List<Object> first = STORE.featureWindows(f, 1, 0).get(0);
        long doc = (Long) first.get(1);
        long position = (Long) first.get(2);
        String href = docHref(RUN, doc, position);
        assertThat(html).contains("<a href=\"" + href + "\">" + doc + "</a>");
        assertThat(page(href.replace("&amp;", "&")))
                .contains("<h1>Document " + doc + " of")
                .contains("<a class=\"tok sel\" href=\"" + href + "\"");
    }

    @Test
    void tokenTextIsEscaped() throws Exception {
        long doc = STORE.documents().entrySet().stream()
                .filter(d -> Arrays.stream(d.getValue()).anyMatch(id -> id == SCRIPT_TOKEN))
                .findFirst()
                .orElseThrow()
                .getKey();
        int position = 0;
        while (STORE.documents().get(doc)[position] != SCRIPT_TOKEN) {
            position++;
        }
        String html = page(docHref(RUN, doc, position).replace("&amp;", "&"));
        assertThat(html).contains(Html.escape(SCRIPT)).doesNotContain("<script");
        int f = features().get(0);
        assertThat(page("/feature?run=" + enc(RUN) + "&sae=" + enc(SAE) + "&f=" + f))
                .doesNotContain("<script");
    }

    @Test
    void runPagesNameEachSaesStorePolicy() throws Exception {
        assertThat(page("/run?id=" + enc(RUN))).contains("<th>activation store policy</th><td class=\"n\">all</td>");
        assertThat(page("/run?id=" + enc(NONE_RUN)))
                .contains("<th>activation store policy</th><td class=\"n\">" + StorePoliciesRows.NONE + "</td>");
        assertThat(page("/run?id=" + enc(OLD_RUN)))
                .contains("<th>activation store policy</th><td class=\"n\">none recorded</td>");
    }

    @Test
    void aRunThatStoredNothingSaysSo() throws Exception {
        String feature = page("/feature?run=" + enc(NONE_RUN) + "&sae=" + enc(SAE) + "&f=0");
        String none = "Run other-run stored no activations for SAE sae-q (store policy none)";
        assertThat(feature)
                .contains("<p class=\"note no-store\">" + none)
                .doesNotContain("data-activation")
                .doesNotContain("<h2>Top tokens</h2>")
                .doesNotContain("<h2>Co-occurring features</h2>");
        // The top example is still shown, in the context its document's window gives (the fixture's one token).
        assertThat(cells(feature, "context")).hasSize(1);

        String doc = page("/doc?run=" + enc(NONE_RUN) + "&sae=" + enc(SAE) + "&doc=0&position=0");
        assertThat(doc)
                .contains("<p class=\"note no-store\">" + none + ".</p>")
                .doesNotContain("data-activation")
                .doesNotContain("data-feature");

        String old = page("/feature?run=" + enc(OLD_RUN) + "&sae=" + enc(SAE) + "&f=0");
        assertThat(old)
                .contains("Run old-run recorded no activation store policy for SAE sae-q, so it stored no activations")
                .doesNotContain("<h2>Top tokens</h2>");
    }

    @Test
    void badOrUnknownDocumentsAre400Or404() throws Exception {
        String base = "/doc?run=" + enc(RUN) + "&sae=" + enc(SAE);
        assertThat(get(base + "&doc=1").statusCode()).isEqualTo(404);
        assertThat(get(base + "&doc=0&position=100000").statusCode()).isEqualTo(404);
        for (String bad : List.of("x", "+1", "--1", "1e3", "\u0667", "99999999999999999999")) {
            assertThat(get(base + "&doc=" + enc(bad)).statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(get(base + "&doc=-3&position=-1").statusCode()).isEqualTo(400);
        assertThat(get("/doc?run=" + enc("x'") + "&sae=" + enc(SAE) + "&doc=0").statusCode())
                .isEqualTo(400);
    }

    // ---- helpers ----

    private static List<Activation> of(int feature) {
        return STORE.activations().stream().filter(a -> a.feature() == feature).toList();
    }

    private static float max(int feature) {
        return (float)
                of(feature).stream().mapToDouble(Activation::activation).max().orElse(0);
    }

    /** The shade's opacity: the value's share of the page's strongest, to two decimals. */
    private static String opacity(float activation, float strongest) {
        return String.format(Locale.ROOT, "%.2f", Math.round(activation / (double) strongest * 100) / 100.0);
    }

    private static String docHref(String run, long doc, long position) {
        return "/doc?run=" + enc(run) + "&amp;sae=" + enc(SAE) + "&amp;doc=" + doc + "&amp;position=" + position;
    }

    private static String featureHref(String run, long feature) {
        return "/feature?run=" + enc(run) + "&amp;sae=" + enc(SAE) + "&amp;f=" + feature;
    }

    /** The part of a page from a heading (or any marker) to the next one; {@code to} null: to the end. */
    private static String section(String html, String from, String to) {
        int start = html.indexOf(from);
        assertThat(start).as("page has %s", from).isNotNegative();
        int end = to == null ? html.length() : html.indexOf(to, start + from.length());
        return html.substring(start, end < 0 ? html.length() : end);
    }

    private static List<String> cells(String html, String cssClass) {
        List<String> cells = new ArrayList<>();
        Matcher cell =
                Pattern.compile("<td class=\"" + cssClass + "\">(.*?)</td>").matcher(html);
        while (cell.find()) {
            cells.add(cell.group(1));
        }
        return cells;
    }

    private static List<Matcher> tokens(String html) {
        List<Matcher> tokens = new ArrayList<>();
        Matcher token = TOKEN.matcher(html);
        while (token.find()) {
            tokens.add(match(token.group()));
        }
        return tokens;
    }

    private static Matcher match(String token) {
        Matcher matcher = TOKEN.matcher(token);
        assertThat(matcher.matches()).isTrue();
        return matcher;
    }

    /** The data rows of the first table in {@code html}: each cell's inner HTML. */
    private static List<List<String>> rows(String html) {
        String table = html.substring(html.indexOf("<table"), html.indexOf("</table>"));
        List<List<String>> rows = new ArrayList<>();
        Matcher row = Pattern.compile("<tr[^>]*>(.*?)</tr>").matcher(table);
        while (row.find()) {
            if (row.group(1).startsWith("<th>")) {
                continue;
            }
            List<String> cells = new ArrayList<>();
            Matcher cell = Pattern.compile("<td[^>]*>(.*?)</td>").matcher(row.group(1));
            while (cell.find()) {
                cells.add(cell.group(1));
            }
            rows.add(cells);
        }
        return rows;
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String page(String pathAndQuery) throws Exception {
        HttpResponse<String> response = get(pathAndQuery);
        assertThat(response.statusCode())
                .as(pathAndQuery + " " + response.body())
                .isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dashboard.port() + pathAndQuery))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
