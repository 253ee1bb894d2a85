package dev.scopeflow.dashboard;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The dashboard's reads. Every table is a ReplacingMergeTree holding whole versioned snapshots, so every read
 * uses FINAL: without it a replayed or older snapshot would be counted next to the newest one. All string
 * literals go through {@link ClickHouseTsv#quote}; numbers come from parsed parameters only.
 */
final class ResultsStore {

    private final ClickHouseHttp clickHouse;
    private final String db;

    ResultsStore(ClickHouseHttp clickHouse, String database) {
        this.clickHouse = clickHouse;
        this.db = database;
    }

    record Run(String runId, String modelId, String status, long tokens, List<String> saes, List<String> sites,
               String corpus, String startedAt, String endedAt) {
    }

    record Progress(long records, long tokens, long deadLetters, String updatedAt) {
    }

    /** A run as listed: its registry row and the job's progress row, either of which may be missing. */
    record RunOverview(String runId, Optional<Run> run, Optional<Progress> progress) {
    }

    record Reconstruction(long tokens, double l0, double mse, double fvu, double explainedVariance, double cosine,
                          double l2Ratio, double relativeReconstructionBias) {
    }

    /** Feature counts of one SAE; fractions are of {@code features}, the features with a stats row. */
    record FeatureCounts(long features, long dead, long over1Percent, long dense, DensityHistogram densities) {
        long alive() {
            return features - dead;
        }
    }

    record SaeInfo(String site, String architecture, long dIn, long dSae) {
    }

    record SaeEvaluation(String saeId, Optional<SaeInfo> info, Optional<Reconstruction> reconstruction,
                         Optional<FeatureCounts> counts) {
    }

    record Feature(long feature, long tokens, long fireCount, double activationSum, double activationMax) {
        double density() {
            return tokens == 0 ? 0 : (double) fireCount / tokens;
        }

        /** Mean activation over the tokens where the feature fired. */
        double meanWhenFiring() {
            return fireCount == 0 ? 0 : activationSum / fireCount;
        }
    }

    record HistogramBin(int bin, double lowerEdge, double upperEdge, long count) {
    }

    /** A top example or an interval sample; {@code context} is empty when the document was not stored. */
    record Example(int group, double lowerEdge, double upperEdge, int rank, long docId, long position,
                   double activation, Optional<TokenContext> context) {
    }

    List<RunOverview> runs() {
        Map<String, Run> runs = new LinkedHashMap<>();
        for (List<String> row : clickHouse.query(runSelect("") + " ORDER BY started_at DESC, run_id")) {
            Run run = run(row);
            runs.put(run.runId(), run);
        }
        Map<String, Progress> progress = new HashMap<>();
        for (List<String> row : clickHouse.query(progressSelect(""))) {
            progress.put(row.get(0), progress(row));
        }
        Set<String> ids = new LinkedHashSet<>(runs.keySet());
        progress.keySet().stream().sorted().forEach(ids::add); // runs the registry does not know, last
        List<RunOverview> overviews = new ArrayList<>(ids.size());
        for (String id : ids) {
            overviews.add(new RunOverview(id, Optional.ofNullable(runs.get(id)), Optional.ofNullable(progress.get(id))));
        }
        return overviews;
    }

    Optional<RunOverview> run(String runId) {
        String where = " WHERE run_id = " + ClickHouseTsv.quote(runId);
        Optional<Run> run = clickHouse.query(runSelect(where)).stream().findFirst().map(ResultsStore::run);
        Optional<Progress> progress = clickHouse.query(progressSelect(where)).stream().findFirst()
                .map(ResultsStore::progress);
        return run.isEmpty() && progress.isEmpty() ? Optional.empty()
                : Optional.of(new RunOverview(runId, run, progress));
    }

    /** The evaluation of every SAE of a run: those the registry lists, then those with results only. */
    List<SaeEvaluation> evaluations(String runId, List<String> registeredSaes) {
        String where = " WHERE run_id = " + ClickHouseTsv.quote(runId);
        Map<String, Reconstruction> reconstructions = new HashMap<>();
        for (List<String> row : clickHouse.query("SELECT sae_id, n_tokens, l0, mse, fvu, explained_variance, cosine, "
                + "l2_ratio, relative_reconstruction_bias FROM " + db + ".reconstruction_stats FINAL" + where)) {
            reconstructions.put(row.get(0), new Reconstruction(Long.parseLong(row.get(1)), real(row.get(2)),
                    real(row.get(3)), real(row.get(4)), real(row.get(5)), real(row.get(6)), real(row.get(7)),
                    real(row.get(8))));
        }
        // Grouped by (n_tokens, fire_count): a few thousand rows even for wide SAEs, and exact densities.
        Map<String, FeatureCounts> counts = new HashMap<>();
        Map<String, long[]> totals = new HashMap<>();
        Map<String, DensityHistogram> histograms = new HashMap<>();
        for (List<String> row : clickHouse.query("SELECT sae_id, n_tokens, fire_count, count() FROM " + db
                + ".feature_stats FINAL" + where + " GROUP BY sae_id, n_tokens, fire_count")) {
            String sae = row.get(0);
            long tokens = Long.parseLong(row.get(1));
            long fires = Long.parseLong(row.get(2));
            long features = Long.parseLong(row.get(3));
            long[] t = totals.computeIfAbsent(sae, k -> new long[4]);
            double density = tokens == 0 ? 0 : (double) fires / tokens;
            t[0] += features;
            t[1] += fires == 0 ? features : 0;
            t[2] += density > 0.01 ? features : 0;
            t[3] += density > 0.1 ? features : 0;
            histograms.computeIfAbsent(sae, k -> new DensityHistogram()).add(fires, tokens, features);
        }
        totals.forEach((sae, t) -> counts.put(sae, new FeatureCounts(t[0], t[1], t[2], t[3], histograms.get(sae))));

        Set<String> saeIds = new LinkedHashSet<>(registeredSaes);
        reconstructions.keySet().stream().sorted().forEach(saeIds::add);
        counts.keySet().stream().sorted().forEach(saeIds::add);
        Map<String, SaeInfo> infos = saeInfos(saeIds);
        List<SaeEvaluation> evaluations = new ArrayList<>();
        for (String sae : saeIds) {
            evaluations.add(new SaeEvaluation(sae, Optional.ofNullable(infos.get(sae)),
                    Optional.ofNullable(reconstructions.get(sae)), Optional.ofNullable(counts.get(sae))));
        }
        return evaluations;
    }

    private Map<String, SaeInfo> saeInfos(Set<String> saeIds) {
        Map<String, SaeInfo> infos = new HashMap<>();
        if (saeIds.isEmpty()) {
            return infos;
        }
        String in = saeIds.stream().map(ClickHouseTsv::quote).collect(Collectors.joining(", "));
        for (List<String> row : clickHouse.query("SELECT sae_id, site, architecture, d_in, d_sae FROM " + db
                + ".saes FINAL WHERE sae_id IN (" + in + ")")) {
            infos.put(row.get(0), new SaeInfo(row.get(1), row.get(2), Long.parseLong(row.get(3)),
                    Long.parseLong(row.get(4))));
        }
        return infos;
    }

    /** How many features of the SAE have a stats row in the run (0: the run does not know the SAE). */
    long featureCount(String runId, String saeId) {
        return Long.parseLong(clickHouse.query("SELECT count() FROM " + db + ".feature_stats FINAL"
                + saeWhere(runId, saeId)).get(0).get(0));
    }

    /** One page of features, highest first by density or by max activation; ties by feature index. */
    List<Feature> features(String runId, String saeId, boolean byMaxActivation, long offset, int limit) {
        String order = byMaxActivation ? "act_max DESC, feature" : "if(n_tokens = 0, 0, fire_count / n_tokens) DESC, feature";
        List<Feature> features = new ArrayList<>();
        for (List<String> row : clickHouse.query("SELECT feature, n_tokens, fire_count, act_sum, act_max FROM " + db
                + ".feature_stats FINAL" + saeWhere(runId, saeId) + " ORDER BY " + order
                + " LIMIT " + offset + ", " + limit)) {
            features.add(feature(row));
        }
        return features;
    }

    Optional<Feature> feature(String runId, String saeId, long feature) {
        return clickHouse.query("SELECT feature, n_tokens, fire_count, act_sum, act_max FROM " + db
                        + ".feature_stats FINAL" + featureWhere(runId, saeId, feature)).stream().findFirst()
                .map(ResultsStore::feature);
    }

    List<HistogramBin> histogram(String runId, String saeId, long feature) {
        List<HistogramBin> bins = new ArrayList<>();
        for (List<String> row : clickHouse.query("SELECT bin, lower_edge, upper_edge, count FROM " + db
                + ".feature_histograms FINAL" + featureWhere(runId, saeId, feature) + " ORDER BY bin")) {
            bins.add(new HistogramBin(Integer.parseInt(row.get(0)), real(row.get(1)), real(row.get(2)),
                    Long.parseLong(row.get(3))));
        }
        return bins;
    }

    List<Example> topExamples(String runId, String saeId, long feature) {
        return withContext(runId, clickHouse.query("SELECT 0, 0, 0, rank, doc_id, position, activation FROM " + db
                + ".top_examples FINAL" + featureWhere(runId, saeId, feature) + " ORDER BY rank"));
    }

    List<Example> intervalSamples(String runId, String saeId, long feature) {
        return withContext(runId, clickHouse.query("SELECT interval_index, lower_edge, upper_edge, sample_rank, "
                + "doc_id, position, activation FROM " + db + ".interval_samples FINAL"
                + featureWhere(runId, saeId, feature) + " ORDER BY interval_index DESC, sample_rank"));
    }

    /**
     * Joins examples with their documents' token windows. Done here rather than with an SQL {@code ANY JOIN}
     * because a document may have several windows and ANY would keep one of them at random; here the window
     * that contains the position with the most room on both sides wins.
     */
    private List<Example> withContext(String runId, List<List<String>> rows) {
        Map<Long, List<Window>> windowsByDoc = new HashMap<>();
        Set<Long> docs = rows.stream().map(r -> Long.parseLong(r.get(4)))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        if (!docs.isEmpty()) {
            String in = docs.stream().map(String::valueOf).collect(Collectors.joining(", "));
            for (List<String> row : clickHouse.query("SELECT doc_id, window_start, token_ids FROM " + db
                    + ".documents FINAL WHERE run_id = " + ClickHouseTsv.quote(runId) + " AND doc_id IN (" + in + ")")) {
                List<Integer> tokens = ClickHouseTsv.parseArray(row.get(2)).stream().map(Integer::valueOf).toList();
                windowsByDoc.computeIfAbsent(Long.parseLong(row.get(0)), k -> new ArrayList<>())
                        .add(new Window(Long.parseLong(row.get(1)), tokens));
            }
        }
        List<Example> examples = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            long doc = Long.parseLong(row.get(4));
            long position = Long.parseLong(row.get(5));
            Optional<TokenContext> context = Optional.empty();
            long bestMargin = -1;
            for (Window window : windowsByDoc.getOrDefault(doc, List.of())) {
                TokenContext candidate = TokenContext.around(window.tokens(), window.start(), position, TokenContext.RADIUS);
                long margin = TokenContext.margin(window.tokens().size(), window.start(), position);
                if (candidate != null && margin > bestMargin) {
                    bestMargin = margin;
                    context = Optional.of(candidate);
                }
            }
            examples.add(new Example(Integer.parseInt(row.get(0)), real(row.get(1)), real(row.get(2)),
                    Integer.parseInt(row.get(3)), doc, position, real(row.get(6)), context));
        }
        return examples;
    }

    /** One stored context window of a document. */
    private record Window(long start, List<Integer> tokens) {
    }

    private String runSelect(String where) {
        return "SELECT run_id, model_id, status, tokens, saes, sites, corpus, toString(started_at), toString(ended_at) "
                + "FROM " + db + ".runs FINAL" + where;
    }

    private String progressSelect(String where) {
        return "SELECT run_id, records, tokens, dead_letters, toString(updated_at) FROM " + db + ".run_progress FINAL"
                + where;
    }

    private static Run run(List<String> row) {
        return new Run(row.get(0), row.get(1), row.get(2), Long.parseLong(row.get(3)),
                ClickHouseTsv.parseArray(row.get(4)), ClickHouseTsv.parseArray(row.get(5)), row.get(6), row.get(7),
                row.get(8));
    }

    private static Progress progress(List<String> row) {
        return new Progress(Long.parseLong(row.get(1)), Long.parseLong(row.get(2)), Long.parseLong(row.get(3)),
                row.get(4));
    }

    private static Feature feature(List<String> row) {
        return new Feature(Long.parseLong(row.get(0)), Long.parseLong(row.get(1)), Long.parseLong(row.get(2)),
                real(row.get(3)), real(row.get(4)));
    }

    private static String saeWhere(String runId, String saeId) {
        return " WHERE run_id = " + ClickHouseTsv.quote(runId) + " AND sae_id = " + ClickHouseTsv.quote(saeId);
    }

    private static String featureWhere(String runId, String saeId, long feature) {
        return saeWhere(runId, saeId) + " AND feature = " + feature;
    }

    /** ClickHouse's float text: Java's syntax plus {@code inf}, {@code -inf} and {@code nan}. */
    static double real(String text) {
        return switch (text) {
            case "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan", "-nan" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }
}
