package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.results.NamedQuery.Arguments;
import dev.scopeflow.schemas.results.NamedQuery.Parameter;
import dev.scopeflow.schemas.results.NamedQuery.Type;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The named queries over the activation store (V006), each one SQL statement that runs on ClickHouse 18.16 and
 * current releases ({@code scopeflow query --named NAME --param k=v}). Every query is scoped to one run and one
 * SAE ({@code run}, {@code sae}), counts a row the job wrote twice after a replay once (FINAL; on the by-token
 * rows LIMIT 1 BY the token; in co-occurrence distinct counts) and reads by key prefix: feature → tokens from
 * {@code feature_activations} (run, sae, feature, doc, ...), token → features from
 * {@code feature_activations_by_token} (run, sae, doc, position: one row per token). Results are fully
 * ordered, so equal data gives equal answers:
 *
 * <ul>
 *   <li>{@code features-at-token}: the features stored at one token; {@code feature, activation, token_id} by
 *       activation descending, then feature.
 *   <li>{@code top-features-per-token}: for each position {@code from ≤ p < to} of a document that has stored
 *       activations, its {@code n} highest; {@code position, token_id, feature, activation} by position, then
 *       activation descending, then feature.
 *   <li>{@code feature-windows}: the feature's top examples ({@code top_examples} ranks 1..{@code windows}), each
 *       with the {@code width} tokens either side (clipped to the document's stored tokens), every token with its
 *       id from {@code documents} and the feature's activation there (0 where none is stored);
 *       {@code rank, doc_id, top_position, position, token_id, activation} by rank, then position.
 *   <li>{@code co-occurring-features}: with A the tokens where the feature fires and B those where feature g
 *       fires, the {@code n} features g ≠ f with the largest |A∩B|; {@code feature, co_fires (|A∩B|), fires (|B|),
 *       f_fires (|A|), jaccard (|A∩B| / (|A| + |B| − |A∩B|))} by co_fires descending, then feature.
 *   <li>{@code feature-tokens}: the {@code n} token ids the feature fires on most; {@code token_id, fires,
 *       mean_activation (Float64 mean of the Float32 values), max_activation} by fires descending, then token id.
 *   <li>{@code document-counts}: per document, the stored activations of the feature (or of every feature with
 *       {@code feature=all}); the {@code n} documents with most, {@code doc_id, fires (activations), tokens
 *       (positions with at least one), max_activation} by fires descending, then doc id.
 *   <li>{@code run-progress} (run only): one row {@code enqueued} (run_corpus), {@code produced} (summed over the
 *       run's worker sessions in worker_progress), {@code counted} (documents with a window the job has written to
 *       documents), {@code worker_sessions}, {@code aborted_transactions}; 0 where nothing is recorded yet.
 * </ul>
 */
public final class NamedQueries {

    private static final Parameter RUN = new Parameter("run", Type.TEXT, null, "run id");
    private static final Parameter SAE = new Parameter("sae", Type.TEXT, null, "SAE id");
    private static final Parameter FEATURE = new Parameter("feature", Type.NON_NEGATIVE_INTEGER, null, "feature index");

    private static final List<NamedQuery> ALL = List.of(
            new NamedQuery(
                    "features-at-token",
                    "The features stored at one token of a document, highest activation first.",
                    List.of(
                            RUN,
                            SAE,
                            new Parameter("doc", Type.INTEGER, null, "document id"),
                            new Parameter("position", Type.NON_NEGATIVE_INTEGER, null, "position in the document")),
                    NamedQueries::featuresAtToken),
            new NamedQuery(
                    "top-features-per-token",
                    "The n highest features of each token in a span of a document (from <= position < to).",
                    List.of(
                            RUN,
                            SAE,
                            new Parameter("doc", Type.INTEGER, null, "document id"),
                            new Parameter("from", Type.NON_NEGATIVE_INTEGER, "0", "first position"),
                            new Parameter("to", Type.NON_NEGATIVE_INTEGER, null, "position after the last"),
                            new Parameter("n", Type.NON_NEGATIVE_INTEGER, "5", "features per token")),
                    NamedQueries::topFeaturesPerToken),
            new NamedQuery(
                    "feature-windows",
                    "A feature's top examples, each with the tokens around it and the feature's value on every one.",
                    List.of(
                            RUN,
                            SAE,
                            FEATURE,
                            new Parameter(
                                    "windows", Type.NON_NEGATIVE_INTEGER, "10", "top examples (ranks 1..windows)"),
                            new Parameter("width", Type.NON_NEGATIVE_INTEGER, "8", "tokens either side")),
                    NamedQueries::featureWindows),
            new NamedQuery(
                    "co-occurring-features",
                    "The features that fire on most of the tokens a feature fires on, with counts and Jaccard index.",
                    List.of(RUN, SAE, FEATURE, new Parameter("n", Type.NON_NEGATIVE_INTEGER, "20", "features listed")),
                    NamedQueries::coOccurringFeatures),
            new NamedQuery(
                    "feature-tokens",
                    "The token ids a feature fires on most, with count, mean and max activation.",
                    List.of(RUN, SAE, FEATURE, new Parameter("n", Type.NON_NEGATIVE_INTEGER, "20", "token ids listed")),
                    NamedQueries::featureTokens),
            new NamedQuery(
                    "document-counts",
                    "Per document, how often a feature (or, with feature=all, any feature) fires; most first.",
                    List.of(
                            RUN,
                            SAE,
                            new Parameter("feature", Type.FEATURE_OR_ALL, Type.ALL, "feature index or 'all'"),
                            new Parameter("n", Type.NON_NEGATIVE_INTEGER, "100", "documents listed")),
                    NamedQueries::documentCounts),
            new NamedQuery(
                    "run-progress",
                    "An enqueued run's documents: enqueued, produced by its workers, read by the job; and its worker "
                            + "sessions.",
                    List.of(RUN),
                    NamedQueries::runProgress));

    private NamedQueries() {}

    /** Aggregates only, so each subquery has its one row even before anything is recorded. */
    private static String runProgress(String db, Arguments a) {
        String run = " WHERE run_id = " + a.quoted("run");
        String workers = WorkerProgressRows.TABLE.in(db) + " FINAL" + run;
        return "SELECT (SELECT sum(documents) FROM " + RunCorpusRows.TABLE.in(db) + " FINAL" + run + ") AS enqueued,"
                + " (SELECT sum(documents) FROM " + workers + ") AS produced,"
                + " (SELECT uniqExact(doc_id) FROM " + DocumentsRows.TABLE.in(db) + run + ") AS counted,"
                + " (SELECT count() FROM " + workers + ") AS worker_sessions,"
                + " (SELECT sum(aborted) FROM " + workers + ") AS aborted_transactions";
    }

    /** Every named query, in the order they are listed to users. */
    public static List<NamedQuery> all() {
        return ALL;
    }

    public static Optional<NamedQuery> find(String name) {
        return ALL.stream().filter(q -> q.name().equals(name)).findFirst();
    }

    /** The query called {@code name}, or an {@link IllegalArgumentException} that lists the names there are. */
    public static NamedQuery named(String name) {
        return find(name)
                .orElseThrow(() -> new IllegalArgumentException("no named query '" + name + "'; there are: "
                        + ALL.stream().map(NamedQuery::name).collect(Collectors.joining(", "))));
    }

    private static String featuresAtToken(String db, Arguments a) {
        return "SELECT feature, activation, token_id FROM (SELECT token_id, features, activations FROM "
                + FeatureActivationsByTokenRows.TABLE.in(db) + sae(a) + " AND doc_id = " + a.integer("doc")
                + " AND position = " + a.integer("position") + " LIMIT 1) ARRAY JOIN features AS feature,"
                + " activations AS activation ORDER BY activation DESC, feature";
    }

    /** LIMIT BY keeps the first n rows of each position in the ORDER BY order: 18.16 has no window functions. */
    private static String topFeaturesPerToken(String db, Arguments a) {
        return "SELECT position, token_id, feature, activation FROM (SELECT position, token_id, features,"
                + " activations FROM " + FeatureActivationsByTokenRows.TABLE.in(db) + sae(a) + " AND doc_id = "
                + a.integer("doc") + " AND position >= " + a.integer("from") + " AND position < "
                + a.integer("to") + " LIMIT 1 BY position) ARRAY JOIN features AS feature, activations AS"
                + " activation ORDER BY position, activation DESC, feature LIMIT " + a.integer("n")
                + " BY position";
    }

    /**
     * Three key-range reads joined on (doc_id, position): the window positions around each top example, the
     * tokens of those documents (a {@code documents} row holds the tokens from window_start on), and the feature's
     * activations in those documents. The join key is called {@code at} inside, as an alias {@code position} would
     * shadow the column it is computed from. 18.16 joins two tables per SELECT, hence the nesting; current
     * ClickHouse wants every joined subquery named. The documents' tokens are unnested together with their
     * indices: indexing {@code token_ids[i]} after unnesting only the indices would copy each window's whole array
     * onto every one of its rows (quadratic in the window length: 205 → 50 ms at 1024-token windows).
     */
    private static String featureWindows(String db, Arguments a) {
        long width = a.integer("width");
        String examples = TopExamplesRows.TABLE.in(db) + " FINAL" + feature(a) + " AND rank <= " + a.integer("windows");
        String exampleDocs = "(SELECT doc_id FROM " + examples + ")";
        return "SELECT rank, doc_id, center AS top_position, at AS position, token_id, activation FROM ("
                + " SELECT rank, doc_id, center, at, token_id FROM ("
                + "  SELECT rank, doc_id, position AS center, toUInt32(arrayJoin(arrayFilter(p -> p >= 0,"
                + " arrayMap(i -> toInt64(center) - " + width + " + i, range(" + (2 * width + 1) + "))))) AS at"
                + "  FROM " + examples
                + " ) AS example_positions ALL INNER JOIN ("
                + "  SELECT doc_id, toUInt32(window_start + i - 1) AS at, token_id FROM "
                + DocumentsRows.TABLE.in(db) + " FINAL ARRAY JOIN token_ids AS token_id, arrayEnumerate(token_ids) AS i"
                + " WHERE run_id = " + a.quoted("run") + " AND doc_id IN " + exampleDocs
                + " ) AS document_tokens USING (doc_id, at)"
                + ") AS window_tokens ANY LEFT JOIN ("
                + " SELECT doc_id, position AS at, activation FROM " + FeatureActivationsRows.TABLE.in(db) + " FINAL"
                + feature(a) + " AND doc_id IN " + exampleDocs
                + ") AS feature_values USING (doc_id, at) ORDER BY rank, position";
    }

    /**
     * A = the feature's tokens (its key range of feature_activations); the features on those tokens come from the
     * by-token rows whose (doc_id, position) ∈ A, one row per token. Counts are of distinct tokens (uniqExact, and
     * LIMIT 1 BY on the token rows), which makes a row written twice count once without FINAL: FINAL would read
     * whole granules of every column through the merging reader and cost seconds on a dense feature. |B| is
     * counted only for the n features listed, from their own key ranges; the top-n subquery is written twice as
     * 18.16 has no CTEs.
     */
    private static String coOccurringFeatures(String db, Arguments a) {
        String tokens = FeatureActivationsRows.TABLE.in(db) + feature(a);
        String together = "FROM (SELECT features FROM " + FeatureActivationsByTokenRows.TABLE.in(db) + sae(a)
                + " AND (doc_id, position) IN (SELECT doc_id, position FROM " + tokens + ") LIMIT 1 BY doc_id,"
                + " position) ARRAY JOIN features AS feature WHERE feature != " + a.integer("feature")
                + " GROUP BY feature ORDER BY co_fires DESC, feature LIMIT " + a.integer("n");
        return "SELECT feature, co_fires, fires, f_fires, co_fires / (f_fires + fires - co_fires) AS jaccard FROM ("
                + " SELECT feature, count() AS co_fires, (SELECT uniqExact(doc_id, position) FROM " + tokens
                + ") AS f_fires " + together
                + ") AS together ANY LEFT JOIN ("
                + " SELECT feature, uniqExact(doc_id, position) AS fires FROM " + FeatureActivationsRows.TABLE.in(db)
                + sae(a) + " AND feature IN (SELECT feature FROM (SELECT feature, count() AS co_fires " + together
                + ")) GROUP BY feature"
                + ") AS fire_counts USING (feature) ORDER BY co_fires DESC, feature";
    }

    private static String featureTokens(String db, Arguments a) {
        return "SELECT token_id, count() AS fires, avg(activation) AS mean_activation, max(activation) AS"
                + " max_activation FROM " + FeatureActivationsRows.TABLE.in(db) + " FINAL" + feature(a)
                + " GROUP BY token_id ORDER BY fires DESC, token_id LIMIT " + a.integer("n");
    }

    /**
     * One feature: its key range; every feature: the SAE's range of the by-token rows (one per token, LIMIT 1 BY
     * drops a twice-written one), already in document order.
     */
    private static String documentCounts(String db, Arguments a) {
        String perDocument = a.isAll("feature")
                ? "SELECT doc_id, sum(length(features)) AS fires, count() AS tokens, max(arrayReduce('max',"
                        + " activations)) AS max_activation FROM (SELECT doc_id, features, activations FROM "
                        + FeatureActivationsByTokenRows.TABLE.in(db) + sae(a) + " LIMIT 1 BY doc_id, position)"
                : "SELECT doc_id, count() AS fires, uniqExact(position) AS tokens, max(activation) AS max_activation"
                        + " FROM " + FeatureActivationsRows.TABLE.in(db) + " FINAL" + feature(a);
        return perDocument + " GROUP BY doc_id ORDER BY fires DESC, doc_id LIMIT " + a.integer("n");
    }

    private static String sae(Arguments a) {
        return " WHERE run_id = " + a.quoted("run") + " AND sae_id = " + a.quoted("sae");
    }

    private static String feature(Arguments a) {
        return sae(a) + " AND feature = " + a.integer("feature");
    }
}
