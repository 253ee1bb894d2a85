package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJob;
import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.flink.RunFailedException;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunsRegistry;
import dev.scopeflow.flink.source.RunCompletion;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scopeflow run-job}: the feature-statistics job over activations already in Kafka (from
 * {@code scopeflow produce}), on an embedded MiniCluster or submitted to a Flink cluster's REST endpoint. A job
 * the producer's record does not fit (see {@code RunJobValidation}) is refused before anything is written; a job
 * that counted no token exits 1. A bounded job over an enqueued run ({@code run_corpus} records it) starts once the
 * run's workers have produced every document ({@link RunCompletion}), so it counts the whole corpus.
 */
@Command(
        name = "run-job",
        mixinStandardHelpOptions = true,
        description = "Run the feature-statistics job for a run: Kafka activations -> SAEs -> ClickHouse.")
final class RunJobCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK);

    @Option(
            names = "--run-id",
            required = true,
            description = "The run whose activations to read (as given to produce).")
    String runId;

    @Option(
            names = "--model-id",
            defaultValue = "",
            description = "Model the activations came from, for the runs registry (e.g. google/gemma-2-2b).")
    String modelId;

    @Option(names = "--corpus", defaultValue = "", description = "What corpus the run covers, for the runs registry.")
    String corpus;

    @Option(
            names = "--unbounded",
            description =
                    "Keep reading new activations (statistics update every --snapshot-interval) instead of stopping at the end of what is in Kafka now.")
    boolean unbounded;

    @Option(
            names = "--snapshot-interval",
            defaultValue = "PT10S",
            description = "How often an unbounded job publishes statistics, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration snapshotInterval;

    @Mixin
    JobOptions job;

    @Override
    public Integer call() throws Exception {
        RunId.validate(runId);
        FeatureStatsJobConfig.Builder config = job.config(runId);
        if (unbounded) {
            config.optSnapshotInterval(snapshotInterval);
        }
        FeatureStatsJobConfig built = config.build();
        try (Services resolved = services.resolve(System.out)) {
            PrintWriter err = spec.commandLine().getErr();
            if (!runJob(resolved, built, modelId, corpus, job.parallelism, !unbounded, System.out, err)) {
                return 1;
            }
            System.out.println("Done. Results: ./scopeflow query \"" + resultsQuery(resolved.database(), runId) + "\"");
        }
        return 0;
    }

    /** The query run-job suggests for a run's results (ModernClickHouseDialectITCase runs it on 26.x). */
    static String resultsQuery(String db, String runId) {
        return "SELECT sae_id, fvu, l0 FROM " + db + ".reconstruction_stats FINAL WHERE run_id = "
                + ClickHouseTsv.quote(runId);
    }

    /**
     * Runs the job on {@code services}, registered with {@code modelId} and {@code corpus}: what {@code run-job} and
     * {@code run} do. Returns false when the run failed (the job gave up; said on {@code err}); throws when the job
     * counted no token at its sites.
     */
    static boolean runJob(
            Services services,
            FeatureStatsJobConfig config,
            String modelId,
            String corpus,
            int parallelism,
            boolean bounded,
            PrintStream out,
            PrintWriter err)
            throws Exception {
        String runId = config.runId();
        out.printf(
                "Running the statistics job for run %s with %d SAE(s) on %s%s...%n",
                runId, config.saes().size(), services.flink().describe(), bounded ? "" : " until cancelled");
        try {
            FeatureStatsJob.runRegistered(
                    services.flink().environment(parallelism, FeatureStatsJobMain.DEFAULT_CHECKPOINT_INTERVAL_MS),
                    services.jobEndpoints(bounded),
                    config,
                    modelId,
                    corpus,
                    out::println); // an enqueued run: it waits for the workers, saying what for
        } catch (RunFailedException e) {
            err.printf(
                    "Run %s failed (the job gave up after repeated failures; the run is marked failed in %s.runs): "
                            + "%s%n",
                    runId, services.database(), e.cause());
            return false;
        }
        // This job's sites only: other jobs of the run may have counted tokens at other sites.
        List<Site> sites = config.saes().stream().map(SaeSpec::site).distinct().toList();
        long tokens = RunsRegistry.committedTokens(services.clickHouse(), services.database(), runId, sites);
        if (tokens == 0) {
            throw new IllegalStateException("the job for run " + runId + " counted 0 tokens at " + sites
                    + ": every record was dead-lettered (see topic "
                    + services.topics().deadLetter()
                    + ") or held only excluded tokens (BOS/pad/EOS)");
        }
        return true;
    }
}
