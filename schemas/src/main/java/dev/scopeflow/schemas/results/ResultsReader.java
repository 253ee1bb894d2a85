package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Every read of the results tables (the dashboard's pages, the demo's summary). Every table is a
 * ReplacingMergeTree holding whole versioned snapshots, so every read uses FINAL: without it a replayed or older
 * snapshot would be counted next to the newest one. Every string literal goes through
 * {@link ClickHouseTsv#quote}; numbers are Java numbers.
 */
public final class ResultsReader {

    private final ClickHouseHttp clickHouse;
    private final String db;

    public ResultsReader(ClickHouseHttp clickHouse, String database) {
        ClickHouseMigrations.validateDatabase(database);
        this.clickHouse = clickHouse;
        this.db = database;
    }

    /** A {@code runs} row; times as ClickHouse prints them (UTC). */
    public record Run(
            String runId,
            String modelId,
            String status,
            long tokens,
            List<String> saes,
            List<String> sites,
            String corpus,
            String startedAt,
            String endedAt) {}

    /**
     * What {@code scopeflow enqueue} committed for a run ({@code run_corpus}): {@code documents} on {@code topic},
     * out of {@code records} lines or files of {@code corpus}, the rest skipped as counted; time in UTC.
     */
    public record EnqueuedCorpus(
            String topic,
            String corpus,
            long documents,
            long records,
            long empty,
            long invalidUtf8,
            long malformedJson,
            long truncated,
            String enqueuedAt) {}

    /**
     * One worker session of a run ({@code worker_progress}): what it committed so far; {@code finished} once it saw
     * the run complete and stopped. Time in UTC.
     */
    public record WorkerSession(
            String workerId,
            String session,
            long documents,
            long windows,
            long tokens,
            long transactions,
            long aborted,
            boolean finished,
            String updatedAt) {}

    /** A run's progress summed over its sites; {@code updatedAt} is the latest of theirs. */
    public record Progress(long records, long tokens, long deadLetters, String updatedAt) {}

    /** A run as listed: its registry row and the jobs' progress, either of which may be missing. */
    public record RunOverview(String runId, Optional<Run> run, Optional<Progress> progress) {}

    public record Reconstruction(
            long tokens,
            double l0,
            double mse,
            double fvu,
            double explainedVariance,
            double cosine,
            double l2Ratio,
            double relativeReconstructionBias) {}

    public record SaeInfo(String site, String architecture, long dIn, long dSae) {}

    /**
     * One SAE's results in a run. {@code summary} uses the default dense threshold and counts the features with a
     * stats row; {@code fireCounts} are the groups it was computed from (empty without stats); {@code downstream}
     * is its model-in-the-loop evaluation when a producer evaluated it ({@code --eval-sae}).
     */
    public record SaeEvaluation(
            String saeId,
            Optional<SaeInfo> info,
            Optional<Reconstruction> reconstruction,
            Optional<SaeSummary> summary,
            List<SaeSummary.FireCounts> fireCounts,
            Optional<Downstream> downstream) {}

    /** {@code downstream_stats}: an SAE's sums over the {@code windows} windows of a run the job counted. */
    public record Downstream(String site, long windows, DownstreamSums sums) {}

    public record Feature(long feature, long tokens, long fireCount, double activationSum, double activationMax) {
        public double density() {
            return tokens == 0 ? 0 : (double) fireCount / tokens;
        }

        /** Mean activation over the tokens where the feature fired. */
        public double meanWhenFiring() {
            return fireCount == 0 ? 0 : activationSum / fireCount;
        }
    }

    public record HistogramBin(int bin, double lowerEdge, double upperEdge, long count) {}

    /** A top example ({@code interval} 0, edges 0) or an interval sample. */
    public record Example(
            int interval, double lowerEdge, double upperEdge, int rank, long docId, long position, double activation) {}

    /** A stored context window of a document: token ids from document position {@code start}. */
    public record ContextWindow(long start, List<Integer> tokenIds) {}

    /**
     * Every run, registered ones newest first, then runs only the job's progress knows; not the count of
     * undecodable records ({@link #undecodableRecords()}), which belong to no run.
     */
    public List<RunOverview> runs() {
        Map<String, Run> runs = new LinkedHashMap<>();
        for (List<String> row : clickHouse.query(runSelect("") + " ORDER BY started_at DESC, run_id")) {
            Run run = run(row);
            runs.put(run.runId(), run);
        }
        Map<String, Progress> progress = new HashMap<>();
        for (List<String> row : clickHouse.query(progressSelect(""))) {
            if (!row.get(0).equals(SiteProgressRows.UNDECODABLE_RUN_ID)) {
                progress.put(row.get(0), progress(row));
            }
        }
        Set<String> ids = new LinkedHashSet<>(runs.keySet());
        progress.keySet().stream().sorted().forEach(ids::add);
        List<RunOverview> overviews = new ArrayList<>(ids.size());
        for (String id : ids) {
            overviews.add(
                    new RunOverview(id, Optional.ofNullable(runs.get(id)), Optional.ofNullable(progress.get(id))));
        }
        return overviews;
    }

    /** Records of the activations topic no job could decode (so of no run), as the jobs counted them. */
    public long undecodableRecords() {
        return clickHouse.query(progressSelect(runWhere(SiteProgressRows.UNDECODABLE_RUN_ID))).stream()
                .findFirst()
                .map(row -> progress(row).deadLetters())
                .orElse(0L);
    }

    public Optional<RunOverview> run(String runId) {
        String where = runWhere(runId);
        Optional<Run> run =
                clickHouse.query(runSelect(where)).stream().findFirst().map(ResultsReader::run);
        Optional<Progress> progress =
                clickHouse.query(progressSelect(where)).stream().findFirst().map(ResultsReader::progress);
        return run.isEmpty() && progress.isEmpty()
                ? Optional.empty()
                : Optional.of(new RunOverview(runId, run, progress));
    }

    /**
     * Tokens the jobs have committed for a run at the given sites only (0 before the first commit), so a job can
     * tell whether it counted anything itself when other jobs of the run counted tokens at other sites.
     */
    public long countedTokens(String runId, Collection<Site> sites) {
        if (sites.isEmpty()) {
            return 0;
        }
        String siteList = sites.stream()
                .map(site -> ClickHouseTsv.quote(site.toString()))
                .distinct()
                .collect(Collectors.joining(", "));
        List<List<String>> rows = clickHouse.query("SELECT sum(tokens) FROM " + SiteProgressRows.TABLE.in(db) + " FINAL"
                + runWhere(runId) + " AND site IN (" + siteList + ")");
        return rows.isEmpty() ? 0 : Long.parseLong(rows.get(0).get(0));
    }

    /** The evaluation of every SAE of a run: {@code saeIds} first, in order, then those with results only. */
    public List<SaeEvaluation> evaluations(String runId, List<String> saeIds) {
        String where = runWhere(runId);
        Map<String, Reconstruction> reconstructions = new HashMap<>();
        for (List<String> row : clickHouse.query("SELECT sae_id, n_tokens, l0, mse, fvu, explained_variance, cosine, "
                + "l2_ratio, relative_reconstruction_bias FROM " + ReconstructionStatsRows.TABLE.in(db) + " FINAL"
                + where)) {
            reconstructions.put(
                    row.get(0),
                    new Reconstruction(
                            Long.parseLong(row.get(1)),
                            ClickHouseTsv.parseReal(row.get(2)),
                            ClickHouseTsv.parseReal(row.get(3)),
                            ClickHouseTsv.parseReal(row.get(4)),
                            ClickHouseTsv.parseReal(row.get(5)),
                            ClickHouseTsv.parseReal(row.get(6)),
                            ClickHouseTsv.parseReal(row.get(7)),
                            ClickHouseTsv.parseReal(row.get(8))));
        }
        // Grouped by (n_tokens, fire_count): a few thousand rows even for wide SAEs, and exact densities. Ordered,
        // since servers return groups in different orders (18.16 and 26.x do).
        Map<String, List<SaeSummary.FireCounts>> groups = new HashMap<>();
        for (List<String> row : clickHouse.query("SELECT sae_id, fire_count, n_tokens, count() FROM "
                + FeatureStatsRows.TABLE.in(db) + " FINAL" + where + " GROUP BY sae_id, n_tokens, fire_count"
                + " ORDER BY sae_id, n_tokens, fire_count")) {
            groups.computeIfAbsent(row.get(0), k -> new ArrayList<>())
                    .add(new SaeSummary.FireCounts(
                            Long.parseLong(row.get(1)), Long.parseLong(row.get(2)), Long.parseLong(row.get(3))));
        }
        Map<String, Downstream> downstream = downstream(runId);
        Set<String> ids = new LinkedHashSet<>(saeIds);
        reconstructions.keySet().stream().sorted().forEach(ids::add);
        groups.keySet().stream().sorted().forEach(ids::add);
        downstream.keySet().stream().sorted().forEach(ids::add);
        Map<String, SaeInfo> infos = saeInfos(ids);
        List<SaeEvaluation> evaluations = new ArrayList<>(ids.size());
        for (String sae : ids) {
            List<SaeSummary.FireCounts> fireCounts = groups.getOrDefault(sae, List.of());
            Optional<SaeSummary> summary = fireCounts.isEmpty()
                    ? Optional.empty()
                    : Optional.of(SaeSummary.ofGroups(fireCounts, SaeSummary.DEFAULT_DENSE_THRESHOLD));
            evaluations.add(new SaeEvaluation(
                    sae,
                    Optional.ofNullable(infos.get(sae)),
                    Optional.ofNullable(reconstructions.get(sae)),
                    summary,
                    List.copyOf(fireCounts),
                    Optional.ofNullable(downstream.get(sae))));
        }
        return evaluations;
    }

    /** Each SAE's {@code downstream_stats} row of a run, by SAE id. */
    public Map<String, Downstream> downstream(String runId) {
        Map<String, Downstream> bySae = new HashMap<>();
        for (List<String> row : clickHouse.query("SELECT sae_id, site, windows, n_predictions, sum_ce_clean, "
                + "sum_ce_sae, sum_ce_zero, sum_kl_sae, sum_kl_zero FROM " + DownstreamStatsRows.TABLE.in(db)
                + " FINAL" + runWhere(runId))) {
            bySae.put(
                    row.get(0),
                    new Downstream(
                            row.get(1),
                            Long.parseLong(row.get(2)),
                            new DownstreamSums(
                                    Long.parseLong(row.get(3)),
                                    ClickHouseTsv.parseReal(row.get(4)),
                                    ClickHouseTsv.parseReal(row.get(5)),
                                    ClickHouseTsv.parseReal(row.get(6)),
                                    ClickHouseTsv.parseReal(row.get(7)),
                                    ClickHouseTsv.parseReal(row.get(8)))));
        }
        return bySae;
    }

    private Map<String, SaeInfo> saeInfos(Set<String> saeIds) {
        Map<String, SaeInfo> infos = new HashMap<>();
        if (saeIds.isEmpty()) {
            return infos;
        }
        for (List<String> row : clickHouse.query("SELECT sae_id, site, architecture, d_in, d_sae FROM "
                + SaesRows.TABLE.in(db) + " FINAL WHERE sae_id IN (" + quotedList(saeIds) + ")")) {
            infos.put(
                    row.get(0),
                    new SaeInfo(row.get(1), row.get(2), Long.parseLong(row.get(3)), Long.parseLong(row.get(4))));
        }
        return infos;
    }

    /**
     * The run's enqueued corpus if {@code scopeflow enqueue} completed it: its document count is what the run holds.
     * Empty while enqueue is still going (or was interrupted) and for runs produced without it.
     */
    public Optional<EnqueuedCorpus> enqueuedCorpus(String runId) {
        return clickHouse
                .query("SELECT topic, corpus, documents, records, empty, invalid_utf8, malformed_json, truncated, "
                        + "enqueued_at FROM " + RunCorpusRows.TABLE.in(db) + " FINAL" + runWhere(runId))
                .stream()
                .findFirst()
                .map(row -> new EnqueuedCorpus(
                        row.get(0),
                        row.get(1),
                        Long.parseLong(row.get(2)),
                        Long.parseLong(row.get(3)),
                        Long.parseLong(row.get(4)),
                        Long.parseLong(row.get(5)),
                        Long.parseLong(row.get(6)),
                        Long.parseLong(row.get(7)),
                        row.get(8)));
    }

    /** Documents of the run with a window in {@code documents}: those the job has read (run-progress's counted). */
    public long countedDocuments(String runId) {
        return Long.parseLong(clickHouse
                .query("SELECT uniqExact(doc_id) FROM " + DocumentsRows.TABLE.in(db) + runWhere(runId))
                .get(0)
                .get(0));
    }

    /** The run's worker sessions, by worker id then start; empty for a run no worker has produced. */
    public List<WorkerSession> workerProgress(String runId) {
        return clickHouse
                .query("SELECT worker_id, session, documents, windows, tokens, transactions, aborted, finished, "
                        + "updated_at FROM " + WorkerProgressRows.TABLE.in(db) + " FINAL" + runWhere(runId)
                        + " ORDER BY worker_id, updated_at, session")
                .stream()
                .map(row -> new WorkerSession(
                        row.get(0),
                        row.get(1),
                        Long.parseLong(row.get(2)),
                        Long.parseLong(row.get(3)),
                        Long.parseLong(row.get(4)),
                        Long.parseLong(row.get(5)),
                        Long.parseLong(row.get(6)),
                        row.get(7).equals("1"),
                        row.get(8)))
                .toList();
    }

    /** The sites a producer recorded for a run ({@code run_sites}) and the activation width at each; empty if none. */
    public Map<Site, Integer> producedSites(String runId) {
        Map<Site, Integer> sites =
                new TreeMap<>(Comparator.comparing(Site::kind).thenComparingInt(Site::layer));
        for (List<String> row :
                clickHouse.query("SELECT site, width FROM " + RunSitesRows.TABLE.in(db) + " FINAL" + runWhere(runId))) {
            sites.put(Site.parse(row.get(0)), Integer.parseInt(row.get(1)));
        }
        return sites;
    }

    /**
     * What the job stores in {@code feature_activations} for each SAE of a run ({@code store_policies}, the latest
     * record per SAE), by SAE id in order; empty for a run no job recorded policies for.
     */
    public Map<String, String> storePolicies(String runId) {
        Map<String, String> policies = new TreeMap<>();
        for (List<String> row : clickHouse.query(
                "SELECT sae_id, policy FROM " + StorePoliciesRows.TABLE.in(db) + " FINAL" + runWhere(runId))) {
            policies.put(row.get(0), row.get(1));
        }
        return policies;
    }

    /** The SHA-256 of the weights registered under an SAE id ({@code saes}), if it is registered. */
    public Optional<String> registeredSaeSha256(String saeId) {
        return clickHouse
                .query("SELECT sha256 FROM " + SaesRows.TABLE.in(db) + " FINAL WHERE sae_id = "
                        + ClickHouseTsv.quote(saeId))
                .stream()
                .findFirst()
                .map(row -> row.get(0));
    }

    /** How many features of the SAE have a stats row in the run (0: the run does not know the SAE). */
    public long featureCount(String runId, String saeId) {
        return Long.parseLong(clickHouse
                .query("SELECT count() FROM " + FeatureStatsRows.TABLE.in(db) + " FINAL" + saeWhere(runId, saeId))
                .get(0)
                .get(0));
    }

    /** One page of features, highest first by density or by max activation; ties by feature index. */
    public List<Feature> features(String runId, String saeId, boolean byMaxActivation, long offset, int limit) {
        String order =
                byMaxActivation ? "act_max DESC, feature" : "if(n_tokens = 0, 0, fire_count / n_tokens) DESC, feature";
        List<Feature> features = new ArrayList<>();
        for (List<String> row : clickHouse.query(
                featureSelect() + saeWhere(runId, saeId) + " ORDER BY " + order + " LIMIT " + offset + ", " + limit)) {
            features.add(feature(row));
        }
        return features;
    }

    public Optional<Feature> feature(String runId, String saeId, long feature) {
        return clickHouse.query(featureSelect() + featureWhere(runId, saeId, feature)).stream()
                .findFirst()
                .map(ResultsReader::feature);
    }

    /** The feature's non-empty activation-histogram bins, in bin order. */
    public List<HistogramBin> histogram(String runId, String saeId, long feature) {
        List<HistogramBin> bins = new ArrayList<>();
        for (List<String> row : clickHouse.query("SELECT bin, lower_edge, upper_edge, count FROM "
                + FeatureHistogramsRows.TABLE.in(db) + " FINAL" + featureWhere(runId, saeId, feature)
                + " ORDER BY bin")) {
            bins.add(new HistogramBin(
                    Integer.parseInt(row.get(0)),
                    ClickHouseTsv.parseReal(row.get(1)),
                    ClickHouseTsv.parseReal(row.get(2)),
                    Long.parseLong(row.get(3))));
        }
        return bins;
    }

    public List<Example> topExamples(String runId, String saeId, long feature) {
        return examples(clickHouse.query("SELECT 0, 0, 0, rank, doc_id, position, activation FROM "
                + TopExamplesRows.TABLE.in(db) + " FINAL" + featureWhere(runId, saeId, feature) + " ORDER BY rank"));
    }

    /** Interval samples, highest interval first, then by sample rank. */
    public List<Example> intervalSamples(String runId, String saeId, long feature) {
        return examples(clickHouse.query("SELECT interval_index, lower_edge, upper_edge, sample_rank, doc_id, "
                + "position, activation FROM " + IntervalSamplesRows.TABLE.in(db) + " FINAL"
                + featureWhere(runId, saeId, feature) + " ORDER BY interval_index DESC, sample_rank"));
    }

    /** The stored context windows of the given documents of a run, by document (a document may have several). */
    public Map<Long, List<ContextWindow>> contextWindows(String runId, Collection<Long> docIds) {
        Map<Long, List<ContextWindow>> windows = new HashMap<>();
        if (docIds.isEmpty()) {
            return windows;
        }
        String in = docIds.stream().distinct().map(String::valueOf).collect(Collectors.joining(", "));
        for (List<String> row : clickHouse.query("SELECT doc_id, window_start, token_ids FROM "
                + DocumentsRows.TABLE.in(db) + " FINAL" + runWhere(runId) + " AND doc_id IN (" + in + ")")) {
            List<Integer> tokens = ClickHouseTsv.parseArray(row.get(2)).stream()
                    .map(Integer::valueOf)
                    .toList();
            windows.computeIfAbsent(Long.parseLong(row.get(0)), k -> new ArrayList<>())
                    .add(new ContextWindow(Long.parseLong(row.get(1)), tokens));
        }
        return windows;
    }

    private static List<Example> examples(List<List<String>> rows) {
        List<Example> examples = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            examples.add(new Example(
                    Integer.parseInt(row.get(0)),
                    ClickHouseTsv.parseReal(row.get(1)),
                    ClickHouseTsv.parseReal(row.get(2)),
                    Integer.parseInt(row.get(3)),
                    Long.parseLong(row.get(4)),
                    Long.parseLong(row.get(5)),
                    ClickHouseTsv.parseReal(row.get(6))));
        }
        return examples;
    }

    private String runSelect(String where) {
        return "SELECT run_id, model_id, status, tokens, saes, sites, corpus, toString(started_at), toString(ended_at) "
                + "FROM " + RunsRows.TABLE.in(db) + " FINAL" + where;
    }

    /** Per run, summed over its sites: each job writes the sites its SAEs read, and a run may have several. */
    private String progressSelect(String where) {
        return "SELECT run_id, sum(records), sum(tokens), sum(dead_letters), toString(max(updated_at)) FROM "
                + SiteProgressRows.TABLE.in(db) + " FINAL" + where + " GROUP BY run_id";
    }

    private String featureSelect() {
        return "SELECT feature, n_tokens, fire_count, act_sum, act_max FROM " + FeatureStatsRows.TABLE.in(db)
                + " FINAL";
    }

    private static Run run(List<String> row) {
        return new Run(
                row.get(0),
                row.get(1),
                row.get(2),
                Long.parseLong(row.get(3)),
                ClickHouseTsv.parseArray(row.get(4)),
                ClickHouseTsv.parseArray(row.get(5)),
                row.get(6),
                row.get(7),
                row.get(8));
    }

    private static Progress progress(List<String> row) {
        return new Progress(
                Long.parseLong(row.get(1)), Long.parseLong(row.get(2)), Long.parseLong(row.get(3)), row.get(4));
    }

    private static Feature feature(List<String> row) {
        return new Feature(
                Long.parseLong(row.get(0)),
                Long.parseLong(row.get(1)),
                Long.parseLong(row.get(2)),
                ClickHouseTsv.parseReal(row.get(3)),
                ClickHouseTsv.parseReal(row.get(4)));
    }

    private static String runWhere(String runId) {
        return " WHERE run_id = " + ClickHouseTsv.quote(runId);
    }

    private static String saeWhere(String runId, String saeId) {
        return runWhere(runId) + " AND sae_id = " + ClickHouseTsv.quote(saeId);
    }

    private static String featureWhere(String runId, String saeId, long feature) {
        return saeWhere(runId, saeId) + " AND feature = " + feature;
    }

    private static String quotedList(Collection<String> values) {
        return values.stream().map(ClickHouseTsv::quote).collect(Collectors.joining(", "));
    }
}
