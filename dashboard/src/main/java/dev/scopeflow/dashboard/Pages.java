package dev.scopeflow.dashboard;

import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.ContextWindow;
import dev.scopeflow.schemas.results.ResultsReader.Example;
import dev.scopeflow.schemas.results.ResultsReader.Feature;
import dev.scopeflow.schemas.results.ResultsReader.HistogramBin;
import dev.scopeflow.schemas.results.ResultsReader.Reconstruction;
import dev.scopeflow.schemas.results.ResultsReader.RunOverview;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.SaeSummary;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/** Renders the dashboard's pages as complete HTML documents; every stored or requested value is escaped. */
final class Pages {

    static final int FEATURES_PER_PAGE = 50;
    private static final long MAX_FEATURE = 0xFFFF_FFFFL; // feature is a UInt32
    private static final long MAX_PAGE = 100_000_000L;

    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}
            h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}a{color:#0550ae}
            table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
            td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
            nav{margin-bottom:1em;color:#666}.note{color:#666}.err{color:#a00}
            .chart rect{fill:#4a7bd0}.chart text{font-size:11px;fill:#444}.chart .axis{stroke:#999}
            .tok{display:inline-block;border:1px solid #ddd;border-radius:3px;padding:0 3px;margin:1px;
            font-family:ui-monospace,monospace;white-space:pre}.tok.hit{background:#ffd54f;border-color:#e0a800}
            """;

    private final ResultsReader store;
    private final IntFunction<String> tokenDecoder;

    Pages(ResultsReader store, IntFunction<String> tokenDecoder) {
        this.store = store;
        this.tokenDecoder = tokenDecoder;
    }

    /** A complete document around {@code body}; {@code title} is plain text. */
    static String document(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html.escape(title)
                + " · ScopeFlow</title><style>" + CSS
                + "</style></head><body><nav><a href=\"/\">ScopeFlow runs</a></nav>"
                + body + "</body></html>\n";
    }

    /** An error page; the message is plain text. */
    static String error(int status, String message) {
        return document(
                "Error " + status, "<h1>Error " + status + "</h1><p class=\"err\">" + Html.escape(message) + "</p>");
    }

    String runs() {
        StringBuilder body = new StringBuilder("<h1>Runs</h1>");
        List<RunOverview> runs = store.runs();
        if (runs.isEmpty()) {
            return document(
                    "Runs",
                    body.append("<p class=\"note\">No runs in ClickHouse yet.</p>")
                            .toString());
        }
        body.append("<table><tr><th>run</th><th>model</th><th>status</th><th>tokens</th><th>records read</th>"
                + "<th>dead letters</th><th>SAEs</th><th>started (UTC)</th><th>progress updated (UTC)</th></tr>");
        for (RunOverview overview : runs) {
            var run = overview.run();
            var progress = overview.progress();
            body.append("<tr><td>")
                    .append(runLink(overview.runId()))
                    .append("</td><td>")
                    .append(Html.escape(run.map(ResultsReader.Run::modelId).orElse("")))
                    .append("</td><td>")
                    .append(Html.escape(run.map(ResultsReader.Run::status).orElse("(not registered)")))
                    .append("</td><td class=\"n\">")
                    .append(progress.map(p -> p.tokens())
                            .or(() -> run.map(ResultsReader.Run::tokens))
                            .map(String::valueOf)
                            .orElse(""))
                    .append("</td><td class=\"n\">")
                    .append(progress.map(p -> String.valueOf(p.records())).orElse(""))
                    .append("</td><td class=\"n\">")
                    .append(progress.map(p -> String.valueOf(p.deadLetters())).orElse(""))
                    .append("</td><td>")
                    .append(Html.escape(
                            String.join(", ", run.map(ResultsReader.Run::saes).orElse(List.of()))))
                    .append("</td><td>")
                    .append(Html.escape(run.map(ResultsReader.Run::startedAt).orElse("")))
                    .append("</td><td>")
                    .append(Html.escape(
                            progress.map(ResultsReader.Progress::updatedAt).orElse("")))
                    .append("</td></tr>");
        }
        return document("Runs", body.append("</table>").toString());
    }

    String run(Params params) {
        String runId = params.id("id");
        RunOverview overview = store.run(runId).orElseThrow(() -> HttpError.notFound("no run '" + runId + "'"));
        StringBuilder body =
                new StringBuilder("<h1>Run ").append(Html.escape(runId)).append("</h1><table>");
        overview.run().ifPresent(run -> {
            row(body, "model", Html.escape(run.modelId()));
            row(body, "status", Html.escape(run.status()));
            row(body, "corpus", Html.escape(run.corpus()));
            row(body, "sites", Html.escape(String.join(", ", run.sites())));
            row(body, "started / ended (UTC)", Html.escape(run.startedAt() + " / " + run.endedAt()));
        });
        overview.progress().ifPresent(p -> {
            row(body, "tokens counted", String.valueOf(p.tokens()));
            row(body, "records read", String.valueOf(p.records()));
            row(body, "dead letters", String.valueOf(p.deadLetters()));
        });
        body.append("</table>");
        List<String> registered = overview.run().map(ResultsReader.Run::saes).orElse(List.of());
        for (SaeEvaluation sae : store.evaluations(runId, registered)) {
            body.append("<h2>SAE ")
                    .append(saeLink(runId, sae.saeId(), "density", 0, sae.saeId()))
                    .append("</h2>");
            sae.info()
                    .ifPresent(info -> body.append("<p class=\"note\">site ")
                            .append(Html.escape(info.site()))
                            .append(", ")
                            .append(Html.escape(info.architecture()))
                            .append(", d_in ")
                            .append(info.dIn())
                            .append(", d_sae ")
                            .append(info.dSae())
                            .append("</p>"));
            body.append("<table class=\"eval\" data-sae=\"")
                    .append(Html.escape(sae.saeId()))
                    .append("\">");
            if (sae.reconstruction().isPresent()) {
                Reconstruction r = sae.reconstruction().get();
                row(body, "tokens", String.valueOf(r.tokens()));
                row(body, "L0", Html.number(r.l0()));
                row(body, "MSE", Html.number(r.mse()));
                row(body, "FVU", Html.number(r.fvu()));
                row(body, "explained variance", Html.number(r.explainedVariance()));
                row(body, "cosine", Html.number(r.cosine()));
                row(body, "L2 ratio", Html.number(r.l2Ratio()));
                row(body, "relative reconstruction bias", Html.number(r.relativeReconstructionBias()));
            } else {
                row(body, "reconstruction", "<span class=\"note\">no reconstruction_stats yet</span>");
            }
            if (sae.summary().isPresent()) {
                SaeSummary c = sae.summary().get();
                row(body, "features", String.valueOf(c.features()));
                row(body, "dead", String.valueOf(c.dead()));
                row(body, "dense (&gt; " + percent(c.denseThreshold()) + ")", String.valueOf(c.dense()));
                row(body, "alive fraction", Html.number(c.fracAlive()));
                row(body, "fraction &gt; " + percent(SaeSummary.ONE_PERCENT), Html.number(c.fracOver1Percent()));
                row(body, "fraction &gt; " + percent(SaeSummary.TEN_PERCENT), Html.number(c.fracOver10Percent()));
            } else {
                row(body, "features", "<span class=\"note\">no feature_stats yet</span>");
            }
            body.append("</table>");
            if (!sae.fireCounts().isEmpty()) {
                DensityHistogram densities = new DensityHistogram();
                sae.fireCounts().forEach(g -> densities.add(g.fireCount(), g.tokens(), g.features()));
                body.append("<p>Feature density (log10, ")
                        .append(DensityHistogram.BINS_PER_DECADE)
                        .append(" bins per decade; ")
                        .append(densities.dead())
                        .append(" dead features not shown)</p>")
                        .append(BarChart.svg(densities.bars(), "log10 feature density"));
            }
        }
        return document("Run " + runId, body.toString());
    }

    String sae(Params params) {
        String runId = params.id("run");
        String saeId = params.id("sae");
        String sort = params.oneOf("sort", "density", "max");
        long page = params.nonNegative("page", MAX_PAGE, 0);
        long total = store.featureCount(runId, saeId);
        if (total == 0) {
            throw HttpError.notFound("no feature statistics for SAE '" + saeId + "' in run '" + runId + "'");
        }
        long pages = (total + FEATURES_PER_PAGE - 1) / FEATURES_PER_PAGE;
        if (page >= pages) {
            throw HttpError.notFound("page " + page + " is past the last page (" + (pages - 1) + ")");
        }
        List<Feature> features =
                store.features(runId, saeId, sort.equals("max"), page * FEATURES_PER_PAGE, FEATURES_PER_PAGE);
        StringBuilder body = new StringBuilder("<h1>SAE ")
                .append(Html.escape(saeId))
                .append(" in run ")
                .append(runLink(runId))
                .append("</h1><p>")
                .append(total)
                .append(" features, sorted by ")
                .append(sort.equals("max") ? "max activation" : "density")
                .append(" (sort by ")
                .append(saeLink(runId, saeId, "density", 0, "density"))
                .append(" | ")
                .append(saeLink(runId, saeId, "max", 0, "max activation"))
                .append("). Page ")
                .append(page + 1)
                .append(" of ")
                .append(pages)
                .append(".</p>");
        body.append("<table><tr><th>feature</th><th>density</th><th>fires</th><th>mean when firing</th>"
                + "<th>max activation</th></tr>");
        for (Feature f : features) {
            body.append("<tr><td>")
                    .append(featureLink(runId, saeId, f.feature()))
                    .append("</td><td class=\"n\">")
                    .append(Html.number(f.density()))
                    .append("</td><td class=\"n\">")
                    .append(f.fireCount())
                    .append("</td><td class=\"n\">")
                    .append(Html.number(f.meanWhenFiring()))
                    .append("</td><td class=\"n\">")
                    .append(Html.number(f.activationMax()))
                    .append("</td></tr>");
        }
        body.append("</table><p>");
        if (page > 0) {
            body.append(saeLink(runId, saeId, sort, page - 1, "← previous")).append(' ');
        }
        if (page + 1 < pages) {
            body.append(saeLink(runId, saeId, sort, page + 1, "next →"));
        }
        return document("SAE " + saeId, body.append("</p>").toString());
    }

    String feature(Params params) {
        String runId = params.id("run");
        String saeId = params.id("sae");
        long index = params.nonNegative("f", MAX_FEATURE);
        Feature f = store.feature(runId, saeId, index)
                .orElseThrow(() ->
                        HttpError.notFound("no feature " + index + " of SAE '" + saeId + "' in run '" + runId + "'"));
        StringBuilder body = new StringBuilder("<h1>Feature ")
                .append(index)
                .append(" of ")
                .append(saeLink(runId, saeId, "density", 0, saeId))
                .append(" in run ")
                .append(runLink(runId))
                .append("</h1><table class=\"feature\">");
        row(body, "density", Html.number(f.density()));
        row(body, "fires", f.fireCount() + " of " + f.tokens() + " tokens");
        row(body, "mean activation when firing", Html.number(f.meanWhenFiring()));
        row(body, "max activation", Html.number(f.activationMax()));
        body.append("</table><h2>Activation histogram</h2>");
        List<BarChart.Bar> bars = new ArrayList<>();
        for (HistogramBin bin : store.histogram(runId, saeId, index)) {
            bars.add(new BarChart.Bar(
                    String.format(Locale.ROOT, "[%s, %s)", Html.number(bin.lowerEdge()), Html.number(bin.upperEdge())),
                    bin.count()));
        }
        body.append(BarChart.svg(bars, "activation (log-spaced bins, non-empty only)"));
        List<Example> top = store.topExamples(runId, saeId, index);
        List<Example> samples = store.intervalSamples(runId, saeId, index);
        Map<Long, List<ContextWindow>> windows = store.contextWindows(
                runId,
                Stream.concat(top.stream(), samples.stream())
                        .map(Example::docId)
                        .toList());
        body.append("<h2>Top examples</h2>");
        examples(body, top, windows, false);
        body.append("<h2>Interval samples</h2>");
        examples(body, samples, windows, true);
        return document("Feature " + index, body.toString());
    }

    private void examples(
            StringBuilder body, List<Example> examples, Map<Long, List<ContextWindow>> windows, boolean intervals) {
        if (examples.isEmpty()) {
            body.append("<p class=\"note\">None stored.</p>");
            return;
        }
        body.append("<table class=\"examples\"><tr>")
                .append(intervals ? "<th>interval</th>" : "")
                .append("<th>rank</th><th>activation</th><th>doc</th><th>position</th><th>context (±")
                .append(TokenContext.RADIUS)
                .append(" tokens)</th></tr>");
        for (Example e : examples) {
            body.append("<tr>");
            if (intervals) {
                body.append("<td>[")
                        .append(Html.number(e.lowerEdge()))
                        .append(", ")
                        .append(Html.number(e.upperEdge()))
                        .append(")</td>");
            }
            body.append("<td class=\"n\">")
                    .append(e.rank())
                    .append("</td><td class=\"n\">")
                    .append(Html.number(e.activation()))
                    .append("</td><td class=\"n\">")
                    .append(e.docId())
                    .append("</td><td class=\"n\">")
                    .append(e.position())
                    .append("</td><td class=\"context\">");
            var context =
                    TokenContext.best(windows.getOrDefault(e.docId(), List.of()), e.position(), TokenContext.RADIUS);
            if (context.isPresent()) {
                TokenContext c = context.get();
                c.before().forEach(t -> body.append(token(t, false)));
                body.append(token(c.token(), true));
                c.after().forEach(t -> body.append(token(t, false)));
            } else {
                body.append("<span class=\"note\">document not stored</span>");
            }
            body.append("</td></tr>");
        }
        body.append("</table>");
    }

    /** A token: its text when a decoder was given (the id as tooltip), else its id. */
    private String token(int id, boolean hit) {
        String cls = hit ? "tok hit" : "tok";
        if (tokenDecoder == null) {
            return "<span class=\"" + cls + "\">" + id + "</span>";
        }
        String text;
        try {
            text = tokenDecoder.apply(id);
        } catch (RuntimeException e) {
            text = "⟨" + id + "⟩"; // an id outside the tokenizer's vocabulary: show it rather than fail the page
        }
        return "<span class=\"" + cls + "\" title=\"" + id + "\">" + Html.escape(text) + "</span>";
    }

    /** A density threshold as the page labels it: 0.1 as {@code 10 %} (decimal, so no binary rounding shows). */
    private static String percent(double fraction) {
        return BigDecimal.valueOf(fraction)
                        .movePointRight(2)
                        .stripTrailingZeros()
                        .toPlainString() + " %";
    }

    private static void row(StringBuilder body, String nameHtml, String valueHtml) {
        body.append("<tr><th>")
                .append(nameHtml)
                .append("</th><td class=\"n\">")
                .append(valueHtml)
                .append("</td></tr>");
    }

    private static String runLink(String runId) {
        return "<a href=\"/run?id=" + Html.escape(Html.urlParam(runId)) + "\">" + Html.escape(runId) + "</a>";
    }

    private static String saeLink(String runId, String saeId, String sort, long page, String text) {
        return "<a href=\"/sae?run=" + Html.escape(Html.urlParam(runId)) + "&amp;sae="
                + Html.escape(Html.urlParam(saeId)) + "&amp;sort=" + sort + "&amp;page=" + page + "\">"
                + Html.escape(text) + "</a>";
    }

    private static String featureLink(String runId, String saeId, long feature) {
        return "<a href=\"/feature?run=" + Html.escape(Html.urlParam(runId)) + "&amp;sae="
                + Html.escape(Html.urlParam(saeId)) + "&amp;f=" + feature + "\">" + feature + "</a>";
    }
}
