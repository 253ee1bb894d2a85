package dev.scopeflow.cli;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.SaeSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    /**
     * One line per SAE: tokens, features, dead, dense, mean L0, FVU, cosine; and, when a producer evaluated any of
     * them with the model in the loop, CE loss recovered, ΔLM loss and the KL score ({@code -} for an SAE it did
     * not evaluate).
     */
    static void printTable(PrintStream out, List<SaeEvaluation> saes) {
        int idWidth = Math.max(
                36, saes.stream().mapToInt(e -> e.saeId().length()).max().orElse(0));
        boolean downstream = saes.stream().anyMatch(e -> e.downstream().isPresent());
        StringBuilder header = new StringBuilder(String.format(
                Locale.ROOT,
                "%-" + idWidth + "s %8s %8s %6s %6s %8s %7s %7s",
                "SAE",
                "tokens",
                "features",
                "dead",
                "dense",
                "mean L0",
                "FVU",
                "cosine"));
        if (downstream) {
            header.append(String.format(Locale.ROOT, " %8s %9s %8s", "CE rec.", "dLM loss", "KL score"));
        }
        out.println(header);
        for (SaeEvaluation e : saes) {
            SaeSummary s = e.summary().orElseThrow();
            ResultsReader.Reconstruction rec = e.reconstruction().orElseThrow();
            StringBuilder line = new StringBuilder(String.format(
                    Locale.ROOT,
                    "%-" + idWidth + "s %8d %8d %6d %6d %8.2f %7.4f %7.4f",
                    e.saeId(),
                    s.tokens(),
                    s.features(),
                    s.dead(),
                    s.dense(),
                    s.meanL0(),
                    rec.fvu(),
                    rec.cosine()));
            if (downstream) {
                line.append(e.downstream()
                        .map(d -> String.format(
                                Locale.ROOT,
                                " %8.4f %9.4f %8.4f",
                                d.sums().ceLossRecovered(),
                                d.sums().deltaLmLoss(),
                                d.sums().klDivScore()))
                        .orElse(String.format(Locale.ROOT, " %8s %9s %8s", "-", "-", "-")));
            }
            out.println(line);
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
                "SELECT sae_id, ce_loss_recovered, delta_lm_loss, kl_div_score, n_predictions FROM " + db
                        + ".downstream_stats FINAL WHERE run_id = " + run,
                "SELECT run_id, status, tokens, saes FROM " + db + ".runs FINAL");
    }

    /**
     * A named query's answer with a {@code token} column, each token id's text quoted (leading spaces and line
     * breaks are part of Gemma's tokens), then the {@code query --named} command line that prints it again.
     */
    static void printNamedAnswer(PrintStream out, Demo.NamedAnswer answer, String query) {
        out.println();
        out.println("Named query " + answer.name() + " (document "
                + answer.arguments().get("doc") + ", positions "
                + answer.arguments().get("from") + " <= p < "
                + answer.arguments().get("to") + ", first SAE):");
        ResultFormat.TABLE.print(withTokenText(answer), out);
        out.println("The same answer, token ids only:  " + namedQueryCommand(query, answer));
    }

    /** {@code query --named NAME --param k=v ...}; values are run ids, SAE ids and numbers: no shell quoting. */
    static String namedQueryCommand(String query, Demo.NamedAnswer answer) {
        StringBuilder command = new StringBuilder(query).append(" --named ").append(answer.name());
        answer.arguments()
                .forEach((k, v) ->
                        command.append(" --param ").append(k).append('=').append(v));
        return command.toString();
    }

    private static QueryResult withTokenText(Demo.NamedAnswer answer) {
        QueryResult rows = answer.rows();
        int at = rows.columns().indexOf("token_id") + 1;
        List<String> columns = new ArrayList<>(rows.columns());
        List<String> types = new ArrayList<>(rows.types());
        columns.add(at, "token");
        types.add(at, "String");
        List<List<String>> shown = new ArrayList<>();
        for (List<String> row : rows.rows()) {
            List<String> withText = new ArrayList<>(row);
            withText.add(at, quoted(answer.tokenTexts().get(Integer.parseInt(row.get(at - 1)))));
            shown.add(withText);
        }
        return new QueryResult(columns, types, shown);
    }

    private static String quoted(String text) {
        return '"'
                + text.replace("\\", "\\\\")
                        .replace("\"", "\\\"")
                        .replace("\n", "\\n")
                        .replace("\t", "\\t")
                + '"';
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
