package dev.scopeflow.dashboard;

import dev.scopeflow.dashboard.ActivationStore.CoFiring;
import dev.scopeflow.dashboard.ActivationStore.FeatureValue;
import dev.scopeflow.dashboard.ActivationStore.TokenCount;
import dev.scopeflow.dashboard.ActivationStore.Window;
import dev.scopeflow.dashboard.ActivationStore.WindowToken;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.ContextWindow;
import dev.scopeflow.schemas.results.ResultsReader.Example;
import dev.scopeflow.schemas.results.ResultsReader.Feature;
import dev.scopeflow.schemas.results.ResultsReader.HistogramBin;
import dev.scopeflow.schemas.results.ResultsReader.Reconstruction;
import dev.scopeflow.schemas.results.ResultsReader.RunOverview;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.SaeSummary;
import dev.scopeflow.schemas.results.StorePoliciesRows;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/** Renders the dashboard's pages as complete HTML documents; every stored or requested value is escaped. */
final class Pages {

    static final int FEATURES_PER_PAGE = 50;
    /** Rows of a feature's top-tokens and co-occurring-features tables. */
    static final int STORE_ROWS = 20;

    private static final long MAX_UINT32 = 0xFFFF_FFFFL; // feature and position are UInt32s
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
            a.tok{color:inherit;text-decoration:none}.tok.hit,.tok.sel{border:2px solid #b35900}
            """;

    private final ResultsReader store;
    private final ActivationStore activations;
    private final IntFunction<String> tokenDecoder;

    Pages(ResultsReader store, ActivationStore activations, IntFunction<String> tokenDecoder) {
        this.store = store;
        this.activations = activations;
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

    /**
     * An enqueued run's documents (enqueued, produced by its workers, read by the job) and its worker sessions, as
     * the run-progress named query counts them; nothing for a run produced without the corpus topic.
     */
    private void production(StringBuilder body, String runId) {
        Optional<ResultsReader.EnqueuedCorpus> enqueued = store.enqueuedCorpus(runId);
        List<ResultsReader.WorkerSession> sessions = store.workerProgress(runId);
        if (enqueued.isEmpty() && sessions.isEmpty()) {
            return;
        }
        body.append("<h2>Production</h2><table class=\"production\">");
        row(
                body,
                "documents enqueued",
                enqueued.map(e -> String.valueOf(e.documents())).orElse("enqueue not complete"));
        row(
                body,
                "documents produced",
                String.valueOf(sessions.stream()
                        .mapToLong(ResultsReader.WorkerSession::documents)
                        .sum()));
        row(body, "documents counted", String.valueOf(store.countedDocuments(runId)));
        body.append("</table><table><tr><th>worker</th><th>documents</th><th>tokens</th><th>transactions</th>"
                + "<th>aborted</th><th>state</th><th>updated (UTC)</th></tr>");
        for (ResultsReader.WorkerSession w : sessions) {
            body.append("<tr><td>")
                    .append(Html.escape(w.workerId()))
                    .append("</td><td class=\"n\">")
                    .append(w.documents())
                    .append("</td><td class=\"n\">")
                    .append(w.tokens())
                    .append("</td><td class=\"n\">")
                    .append(w.transactions())
                    .append("</td><td class=\"n\">")
                    .append(w.aborted())
                    .append("</td><td>")
                    .append(w.finished() ? "finished" : "working or stopped")
                    .append("</td><td>")
                    .append(Html.escape(w.updatedAt()))
                    .append("</td></tr>");
        }
        body.append("</table>");
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
        production(body, runId);
        List<String> registered = overview.run().map(ResultsReader.Run::saes).orElse(List.of());
        Map<String, String> storePolicies = store.storePolicies(runId);
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
            row(body, "activation store policy", Html.escape(storePolicies.getOrDefault(sae.saeId(), "none recorded")));
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
            // Only SAEs a producer evaluated with the model in the loop (--eval-sae) have these.
            sae.downstream().ifPresent(d -> {
                DownstreamSums m = d.sums();
                row(body, "CE loss recovered", Html.number(m.ceLossRecovered()));
                row(body, "ΔLM loss (CE SAE − clean)", Html.number(m.deltaLmLoss()));
                row(
                        body,
                        "CE clean / SAE / zero",
                        Html.number(m.ceClean()) + " / " + Html.number(m.ceSae()) + " / " + Html.number(m.ceZero()));
                row(body, "KL SAE / zero", Html.number(m.klSae()) + " / " + Html.number(m.klZero()));
                row(body, "KL div score", Html.number(m.klDivScore()));
                row(body, "predictions (windows)", m.nPredictions() + " (" + d.windows() + ")");
            });
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
        long index = params.nonNegative("f", MAX_UINT32);
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
        Optional<String> noStore = noActivationsStored(runId, saeId);
        Map<Integer, Window> shaded = new HashMap<>();
        if (noStore.isEmpty() && !top.isEmpty()) {
            int ranks = top.stream().mapToInt(Example::rank).max().orElseThrow();
            for (Window window : activations.featureWindows(runId, saeId, index, ranks, TokenContext.RADIUS)) {
                shaded.put(window.rank(), window);
            }
        }
        Shading shading = new Shading(f.activationMax());
        body.append("<h2>Top examples</h2>");
        if (noStore.isEmpty()) {
            body.append("<p class=\"note\">Every token shaded by this feature's stored activation on it (the"
                            + " strongest, ")
                    .append(Html.number(f.activationMax()))
                    .append(", fully); click a token for all its features.</p>");
        }
        examples(body, runId, saeId, top, windows, shaded, shading, false);
        body.append("<h2>Interval samples</h2>");
        examples(body, runId, saeId, samples, windows, Map.of(), shading, true);
        if (noStore.isPresent()) {
            body.append("<h2>Stored activations</h2><p class=\"note no-store\">")
                    .append(Html.escape(noStore.get()))
                    .append(": no top tokens or co-occurring features to show.</p>");
        } else {
            topTokens(body, activations.featureTokens(runId, saeId, index, STORE_ROWS));
            coOccurring(body, runId, saeId, activations.coOccurringFeatures(runId, saeId, index, STORE_ROWS));
        }
        return document("Feature " + index, body.toString());
    }

    /**
     * A document's tokens, each shaded by its strongest stored feature value and linking to the features stored
     * at it ({@code position}: the token whose features are listed).
     */
    String doc(Params params) {
        String runId = params.id("run");
        String saeId = params.id("sae");
        long docId = params.integer("doc");
        OptionalLong selected = params.optionalNonNegative("position", MAX_UINT32);
        TreeMap<Long, Integer> tokens = new TreeMap<>();
        for (ContextWindow window : store.contextWindows(runId, List.of(docId)).getOrDefault(docId, List.of())) {
            for (int i = 0; i < window.tokenIds().size(); i++) {
                tokens.putIfAbsent(window.start() + i, window.tokenIds().get(i)); // windows may overlap
            }
        }
        if (tokens.isEmpty()) {
            throw HttpError.notFound("no document " + docId + " stored for run '" + runId + "'");
        }
        if (selected.isPresent() && !tokens.containsKey(selected.getAsLong())) {
            throw HttpError.notFound("document " + docId + " has no stored token at position " + selected.getAsLong());
        }
        Optional<String> noStore = noActivationsStored(runId, saeId);
        Map<Long, FeatureValue> strongest = noStore.isPresent()
                ? Map.of()
                : activations.strongestFeatures(runId, saeId, docId, tokens.firstKey(), tokens.lastKey() + 1);
        Shading shading = new Shading(strongest.values().stream()
                .mapToDouble(FeatureValue::activation)
                .max()
                .orElse(0));
        StringBuilder body = new StringBuilder("<h1>Document ")
                .append(docId)
                .append(" of run ")
                .append(runLink(runId))
                .append(", SAE ")
                .append(saeLink(runId, saeId, "density", 0, saeId))
                .append("</h1>");
        if (noStore.isPresent()) {
            body.append("<p class=\"note no-store\">")
                    .append(Html.escape(noStore.get()))
                    .append(".</p>");
        } else {
            body.append("<p class=\"note\">")
                    .append(tokens.size())
                    .append(" tokens, each shaded by its strongest stored feature value (the strongest here, ")
                    .append(Html.number(shading.full()))
                    .append(", fully); click a token for its features.</p>");
        }
        body.append("<p class=\"document\">");
        long previous = tokens.firstKey() - 1;
        for (Map.Entry<Long, Integer> token : tokens.entrySet()) {
            long position = token.getKey();
            if (position != previous + 1) {
                body.append("<span class=\"note\"> … </span>"); // positions no stored window holds
            }
            previous = position;
            FeatureValue value = strongest.get(position);
            boolean isSelected = selected.isPresent() && selected.getAsLong() == position;
            body.append(tokenLink(
                    docLink(runId, saeId, docId, position),
                    token.getValue(),
                    position,
                    isSelected ? "tok sel" : "tok",
                    value == null ? "" : " data-feature=\"" + value.feature() + "\"",
                    value == null ? "no stored feature" : "strongest feature " + value.feature(),
                    value == null ? OptionalDouble.empty() : OptionalDouble.of(value.activation()),
                    shading));
        }
        body.append("</p>");
        if (selected.isPresent()) {
            long position = selected.getAsLong();
            body.append("<h2>Features at position ")
                    .append(position)
                    .append(" (")
                    .append(tokenSpan(tokens.get(position), "tok", ""))
                    .append(")</h2>");
            if (noStore.isPresent()) {
                body.append("<p class=\"note no-store\">None stored.</p>");
            } else {
                List<FeatureValue> features = activations.featuresAtToken(runId, saeId, docId, position);
                if (features.isEmpty()) {
                    body.append("<p class=\"note\">No feature stored at this token.</p>");
                } else {
                    body.append("<table class=\"token-features\"><tr><th>feature</th><th>activation</th></tr>");
                    for (FeatureValue value : features) {
                        body.append("<tr><td>")
                                .append(featureLink(runId, saeId, value.feature()))
                                .append("</td><td class=\"n\" data-activation=\"")
                                .append(value.activation())
                                .append("\">")
                                .append(Html.number(value.activation()))
                                .append("</td></tr>");
                    }
                    body.append("</table>");
                }
            }
        }
        return document("Document " + docId, body.toString());
    }

    /**
     * Why the activation store holds nothing for this SAE of the run ({@code store_policies}: policy none, or no
     * policy recorded, as for a run from before the store), or empty when it may hold values.
     */
    private Optional<String> noActivationsStored(String runId, String saeId) {
        String policy = store.storePolicies(runId).get(saeId);
        if (policy == null) {
            return Optional.of("Run " + runId + " recorded no activation store policy for SAE " + saeId
                    + ", so it stored no activations");
        }
        return policy.equals(StorePoliciesRows.NONE)
                ? Optional.of("Run " + runId + " stored no activations for SAE " + saeId + " (store policy none)")
                : Optional.empty();
    }

    private void examples(
            StringBuilder body,
            String runId,
            String saeId,
            List<Example> examples,
            Map<Long, List<ContextWindow>> windows,
            Map<Integer, Window> shaded,
            Shading shading,
            boolean intervals) {
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
                    .append("</td><td class=\"n\"><a href=\"")
                    .append(docLink(runId, saeId, e.docId(), e.position()))
                    .append("\">")
                    .append(e.docId())
                    .append("</a></td><td class=\"n\">")
                    .append(e.position())
                    .append("</td>");
            Window window = shaded.get(e.rank());
            if (window != null && window.docId() == e.docId() && window.topPosition() == e.position()) {
                body.append("<td class=\"window\">");
                for (WindowToken t : window.tokens()) {
                    body.append(tokenLink(
                            docLink(runId, saeId, e.docId(), t.position()),
                            t.tokenId(),
                            t.position(),
                            t.position() == e.position() ? "tok hit" : "tok",
                            "",
                            "activation",
                            OptionalDouble.of(t.activation()),
                            shading));
                }
                body.append("</td></tr>");
                continue;
            }
            body.append("<td class=\"context\">");
            var context =
                    TokenContext.best(windows.getOrDefault(e.docId(), List.of()), e.position(), TokenContext.RADIUS);
            if (context.isPresent()) {
                TokenContext c = context.get();
                c.before().forEach(t -> body.append(tokenSpan(t, "tok", "")));
                body.append(tokenSpan(c.token(), "tok hit", ""));
                c.after().forEach(t -> body.append(tokenSpan(t, "tok", "")));
            } else {
                body.append("<span class=\"note\">document not stored</span>");
            }
            body.append("</td></tr>");
        }
        body.append("</table>");
    }

    private void topTokens(StringBuilder body, List<TokenCount> tokens) {
        body.append("<h2>Top tokens</h2>");
        if (tokens.isEmpty()) {
            body.append("<p class=\"note\">No activation of this feature stored.</p>");
            return;
        }
        body.append("<table class=\"top-tokens\"><tr><th>token</th><th>fires</th><th>mean activation</th>"
                + "<th>max activation</th></tr>");
        for (TokenCount t : tokens) {
            body.append("<tr data-token=\"")
                    .append(t.tokenId())
                    .append("\"><td>")
                    .append(tokenSpan(t.tokenId(), "tok", ""))
                    .append("</td><td class=\"n\">")
                    .append(t.fires())
                    .append("</td><td class=\"n\">")
                    .append(Html.number(t.meanActivation()))
                    .append("</td><td class=\"n\">")
                    .append(Html.number(t.maxActivation()))
                    .append("</td></tr>");
        }
        body.append("</table>");
    }

    private static void coOccurring(StringBuilder body, String runId, String saeId, List<CoFiring> features) {
        body.append("<h2>Co-occurring features</h2>");
        if (features.isEmpty()) {
            body.append("<p class=\"note\">No other feature stored on this feature's tokens.</p>");
            return;
        }
        body.append("<p class=\"note\">Features firing on the same tokens: tokens in common, tokens each fires on,"
                + " and the Jaccard index (in common / on either).</p><table class=\"co-occurring\"><tr>"
                + "<th>feature</th><th>tokens in common</th><th>its tokens</th><th>Jaccard</th></tr>");
        for (CoFiring g : features) {
            body.append("<tr><td>")
                    .append(featureLink(runId, saeId, g.feature()))
                    .append("</td><td class=\"n\">")
                    .append(g.coFires())
                    .append("</td><td class=\"n\">")
                    .append(g.fires())
                    .append("</td><td class=\"n\">")
                    .append(Html.number(g.jaccard()))
                    .append("</td></tr>");
        }
        body.append("</table>");
    }

    /**
     * A token linking to its document page at its position, shaded by {@code value} (none: unshaded); the exact
     * value and position travel as data attributes, the tooltip says what the shade is.
     */
    private String tokenLink(
            String href,
            int id,
            long position,
            String cssClass,
            String extraAttributes,
            String valueLabel,
            OptionalDouble value,
            Shading shading) {
        StringBuilder attributes = new StringBuilder(" href=\"")
                .append(href)
                .append("\" data-position=\"")
                .append(position)
                .append('"')
                .append(extraAttributes);
        String tip = "position " + position + ", token " + id;
        if (value.isPresent()) {
            float activation = (float) value.getAsDouble();
            attributes
                    .append(" data-activation=\"")
                    .append(activation)
                    .append("\" style=\"")
                    .append(shading.style(activation))
                    .append('"');
            tip += ", " + valueLabel + " " + Html.number(activation);
        } else {
            tip += ", " + valueLabel;
        }
        attributes.append(" title=\"").append(Html.escape(tip)).append('"');
        return "<a class=\"" + cssClass + "\"" + attributes + ">" + Html.escape(tokenText(id)) + "</a>";
    }

    /** A token: its text when a decoder was given (the id as tooltip), else its id. */
    private String tokenSpan(int id, String cssClass, String extraAttributes) {
        if (tokenDecoder == null) {
            return "<span class=\"" + cssClass + "\"" + extraAttributes + ">" + id + "</span>";
        }
        return "<span class=\"" + cssClass + "\" title=\"" + id + "\"" + extraAttributes + ">"
                + Html.escape(tokenText(id)) + "</span>";
    }

    /** The decoded text of a token, or its id without a decoder. */
    private String tokenText(int id) {
        if (tokenDecoder == null) {
            return String.valueOf(id);
        }
        try {
            return tokenDecoder.apply(id);
        } catch (RuntimeException e) {
            return "⟨" + id + "⟩"; // an id outside the tokenizer's vocabulary: show it rather than fail the page
        }
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

    /** The href of a document page (already escaped for an attribute), opened at a token. */
    private static String docLink(String runId, String saeId, long docId, long position) {
        return "/doc?run=" + Html.escape(Html.urlParam(runId)) + "&amp;sae=" + Html.escape(Html.urlParam(saeId))
                + "&amp;doc=" + docId + "&amp;position=" + position;
    }

    private static String featureLink(String runId, String saeId, long feature) {
        return "<a href=\"/feature?run=" + Html.escape(Html.urlParam(runId)) + "&amp;sae="
                + Html.escape(Html.urlParam(saeId)) + "&amp;f=" + feature + "\">" + feature + "</a>";
    }
}
