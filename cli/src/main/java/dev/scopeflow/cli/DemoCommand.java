package dev.scopeflow.cli;

import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.SaeSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code scopeflow demo}: the whole pipeline on embedded services (or on the clusters given). */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Run the pipeline end to end on synthetic activations and print where the results are.")
final class DemoCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK);

    @Option(
            names = "--run-id",
            description = "Run id the statistics are stored under (default: demo-<UTC time>). "
                    + "Reusing a run id adds this run's tokens to it.")
    String runId;

    @Option(
            names = "--site",
            defaultValue = "res.12",
            description = "Site name, kind.layer (default: ${DEFAULT-VALUE}).")
    String site;

    @Option(names = "--docs", defaultValue = "64", description = "Synthetic documents (default: ${DEFAULT-VALUE}).")
    int docs;

    @Option(
            names = "--seq-len",
            defaultValue = "128",
            description = "Tokens per document, BOS included (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(
            names = "--width",
            defaultValue = "256",
            description = "Activation width d_in (Gemma 2 2B res: 2304) (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--d-sae", defaultValue = "2048", description = "Features per SAE (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--saes", defaultValue = "2", description = "SAEs applied to the site (default: ${DEFAULT-VALUE}).")
    int saes;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed of the synthetic data and SAEs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (runId == null) {
            // Each demo publishes its documents anew: a fresh run id keeps two demos from adding up.
            runId = "demo-"
                    + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                            .withZone(ZoneOffset.UTC)
                            .format(Instant.now());
        }
        RunId.validate(runId);
        PrintStream out = System.out;
        Demo.Settings settings = new Demo.Settings(
                services.workDir, runId, Site.parse(site), docs, seqLen, width, dSae, saes, parallelism, seed);
        boolean started;
        try (Services resolved = services.resolve(out)) {
            print(out, Demo.run(settings, resolved, out));
            started = resolved.startedAny();
        }
        if (started) {
            out.println();
            out.println("Embedded services are stopped now; their data stays in " + services.workDir.toAbsolutePath()
                    + ".");
            out.println("Query it any time (ClickHouse is started for the query):  " + queryCommand() + " \"<SQL>\"");
        }
        return 0;
    }

    /** How to query this demo's data later: {@code --work-dir} named unless it is the default. */
    private String queryCommand() {
        return "./scopeflow query"
                + (services.workDir.equals(Path.of(ServiceOptions.DEFAULT_WORK_DIR))
                        ? ""
                        : " --work-dir " + services.workDir);
    }

    private void print(PrintStream out, Demo.Report r) {
        out.println();
        out.printf(
                "Done in %.1f s: %d documents, %d tokens (%d counted after excluding BOS), %d Arrow batches.%n",
                r.elapsed().toMillis() / 1000.0,
                r.documents(),
                r.tokens(),
                r.saes().isEmpty() ? 0 : r.saes().get(0).summary().orElseThrow().tokens(),
                r.batches());
        int idWidth = Math.max(
                36, r.saes().stream().mapToInt(e -> e.saeId().length()).max().orElse(0));
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
        for (SaeEvaluation e : r.saes()) {
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
        String query = queryCommand();
        out.println();
        out.println("Results are in ClickHouse " + r.clickHouseUrl() + ", database " + r.database() + ". Try:");
        for (String sql : summaryQueries(r.database(), r.runId())) {
            out.println("  " + query + " \"" + sql + "\"");
        }
    }

    /** The queries the demo suggests for a run's results (ModernClickHouseDialectITCase runs them on 26.x). */
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
}
