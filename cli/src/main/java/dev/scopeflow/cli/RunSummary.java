package dev.scopeflow.cli;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.SaeSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What a command that ran the job for a run prints ({@code demo}, {@code run}): the per-SAE summary read back from
 * ClickHouse, SQL to paste, and where the data is once embedded services stopped.
 */
final class RunSummary {

    private RunSummary() {}

    /** The run's SAEs as ClickHouse holds them; fails when one has no feature or reconstruction rows. */
    static List<SaeEvaluation> evaluations(ClickHouseHttp clickHouse, String db, String runId, List<String> saeIds) {
        List<SaeEvaluation> evaluations = new ResultsReader(clickHouse, db)
                .evaluations(runId, saeIds).stream()
                        .filter(e -> saeIds.contains(e.saeId()))
                        .toList();
        for (SaeEvaluation e : evaluations) {
            if (e.summary().isEmpty() || e.reconstruction().isEmpty()) {
                throw new IllegalStateException("run " + runId
                        + ": no feature_stats or reconstruction_stats rows for SAE " + e.saeId() + " in " + db);
            }
        }
        return evaluations;
    }

    /** One line per SAE: tokens, features, dead, dense, mean L0, FVU, cosine. */
    static void printTable(PrintStream out, List<SaeEvaluation> saes) {
        int idWidth = Math.max(
                36, saes.stream().mapToInt(e -> e.saeId().length()).max().orElse(0));
        out.printf(
                "%-" + idWidth + "s %8s %8s %6s %6s %8s %7s %7s%n",
                "SAE",
                "tokens",
                "features",
                "dead",
                "dense",
                "mean L0",
                "FVU",
                "cosine");
        for (SaeEvaluation e : saes) {
            SaeSummary s = e.summary().orElseThrow();
            ResultsReader.Reconstruction rec = e.reconstruction().orElseThrow();
            out.printf(
                    "%-" + idWidth + "s %8d %8d %6d %6d %8.2f %7.4f %7.4f%n",
                    e.saeId(),
                    s.tokens(),
                    s.features(),
                    s.dead(),
                    s.dense(),
                    s.meanL0(),
                    rec.fvu(),
                    rec.cosine());
        }
    }

    /** SQL over the run's results to paste, each behind {@code query} (with the work dir's option when needed). */
    static void printQueries(PrintStream out, String clickHouseUrl, String db, String runId, String query) {
        out.println();
        out.println("Results are in ClickHouse " + clickHouseUrl + ", database " + db + ". Try:");
        for (String sql : summaryQueries(db, runId)) {
            out.println("  " + query + " \"" + sql + "\"");
        }
    }

    /** The queries suggested for a run's results (ModernClickHouseDialectITCase runs them on 26.x). */
    static List<String> summaryQueries(String db, String runId) {
        String run = ClickHouseTsv.quote(runId);
        return List.of(
                "SELECT sae_id, feature, fire_count / n_tokens AS density FROM " + db
                        + ".feature_stats FINAL WHERE run_id = " + run + " ORDER BY density DESC LIMIT 10",
                "SELECT sae_id, countIf(fire_count = 0) AS dead, countIf(fire_count > "
                        + SaeSummary.DEFAULT_DENSE_THRESHOLD + " * n_tokens) AS dense FROM " + db
                        + ".feature_stats FINAL WHERE run_id = " + run + " GROUP BY sae_id",
                "SELECT sae_id, l0, fvu, explained_variance, cosine FROM " + db
                        + ".reconstruction_stats FINAL WHERE run_id = " + run,
                "SELECT feature, rank, doc_id, position, activation FROM " + db + ".top_examples FINAL WHERE run_id = "
                        + run + " AND feature = 0 ORDER BY sae_id, rank",
                "SELECT run_id, status, tokens, saes FROM " + db + ".runs FINAL");
    }

    /** After the command stopped the services it started: where their data stays and how to query it. */
    static void printStopped(PrintStream out, Path workDir) {
        out.println();
        out.println("Embedded services are stopped now; their data stays in " + workDir.toAbsolutePath() + ".");
        out.println(
                "Query it any time (ClickHouse is started for the query):  " + queryCommand(workDir) + " \"<SQL>\"");
    }

    /** How to query the data later: {@code --work-dir} named unless it is the default. */
    static String queryCommand(Path workDir) {
        return "./scopeflow query"
                + (workDir.equals(Path.of(ServiceOptions.DEFAULT_WORK_DIR)) ? "" : " --work-dir " + workDir);
    }
}
