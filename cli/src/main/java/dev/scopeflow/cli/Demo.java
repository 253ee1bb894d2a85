package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJob;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The walking skeleton end to end: synthetic activations → Arrow batches → Kafka → Flink job applying
 * JumpReLU SAEs from Gemma Scope-format files → per-feature statistics → ClickHouse. {@link #run} is what
 * {@code scopeflow demo} calls and what the demo ITCase checks.
 */
public final class Demo {

    private static final String MODEL_ID = "synthetic/gemma-2-shaped";

    private Demo() {}

    /** What to run; defaults in {@link DemoCommand}. Where to run it comes from {@link Services}. */
    public record Settings(
            Path workDir,
            String runId,
            Site site,
            int docs,
            int seqLen,
            int width,
            int dSae,
            int saes,
            int parallelism,
            long seed) {}

    /** What the run did; {@code saes} are read back from ClickHouse, each with a summary and a reconstruction. */
    public record Report(
            String runId,
            long documents,
            long tokens,
            long batches,
            long bytes,
            List<SaeEvaluation> saes,
            String clickHouseUrl,
            String database,
            Duration elapsed) {}

    /** Runs the demo on {@code services}, whose ClickHouse schema the resolver has migrated. */
    static Report run(Settings s, Services services, PrintStream log) throws Exception {
        Instant start = Instant.now();
        ClickHouseHttp clickHouse = services.clickHouse();
        TopicNames topics = services.topics();
        KafkaTopics.ensure(services.kafkaBootstrap(), topics, 4);

        List<SaeSpec> saes = writeSaes(s, clickHouse, log);
        // What produce records before publishing, so run-job's checks hold for the demo's run too.
        new RunSitesRows()
                .add(s.runId(), s.site(), s.width(), MODEL_ID, Instant.now())
                .insertInto(clickHouse, services.database());
        ProducedRun produced = produce(s, services.kafkaBootstrap(), topics, log);
        FeatureStatsJobConfig.Builder config = FeatureStatsJobConfig.builder().setRunId(s.runId());
        saes.forEach(config::addSae);
        log.printf(
                "Flink: running the feature-statistics job (parallelism %d) on %s...%n",
                s.parallelism(), services.flink().describe());
        FeatureStatsJob.runRegistered(
                services.flink().environment(s.parallelism(), 2_000),
                services.jobEndpoints(true),
                config.build(),
                MODEL_ID,
                "synthetic gaussian activations, " + s.docs() + " docs x " + s.seqLen() + " tokens");

        List<SaeEvaluation> summaries = RunSummary.evaluations(
                clickHouse,
                services.database(),
                s.runId(),
                saes.stream().map(SaeSpec::saeId).toList());
        return new Report(
                s.runId(),
                s.docs(),
                produced.tokens,
                produced.batches,
                produced.bytes,
                summaries,
                services.clickHouseUrl(),
                services.database(),
                Duration.between(start, Instant.now()));
    }

    private record ProducedRun(long tokens, long batches, long bytes) {}

    private static ProducedRun produce(Settings s, String kafka, TopicNames topics, PrintStream log) {
        SyntheticActivations source =
                new SyntheticActivations(s.runId(), MODEL_ID, s.site(), s.width(), ActivationDtype.BF16, s.seed());
        long tokens = 0;
        long batches = 0;
        try (ActivationPublisher publisher = new ActivationPublisher(kafka, topics)) {
            for (ActivationBatch batch : source.documents(0, s.docs(), s.seqLen(), 64)) {
                publisher.publish(batch);
                tokens += batch.rows();
                batches++;
            }
            publisher.flush();
            log.printf(
                    "Kafka %s: published %d tokens of %s activations in %d Arrow batches (%.1f MB, bf16) to %s%n",
                    kafka, tokens, s.site(), batches, publisher.bytesSent() / 1e6, topics.activations());
            return new ProducedRun(tokens, batches, publisher.bytesSent());
        }
    }

    private static List<SaeSpec> writeSaes(Settings s, ClickHouseHttp clickHouse, PrintStream log) throws IOException {
        List<SaeSpec> saes = new ArrayList<>();
        for (int i = 0; i < s.saes(); i++) {
            // An SAE id names one set of weights across runs: everything the weights depend on is in it.
            String saeId = "demo/" + s.site() + "/d_in_" + s.width() + "/width_" + s.dSae() + "/seed_" + s.seed()
                    + "/sae_" + i;
            Path params = s.workDir().resolve("saes").resolve("sae_" + i).resolve("params.npz");
            DemoSaeWriter.write(params, s.width(), s.dSae(), s.seed() + 17 * (i + 1));
            SaeSpec spec = new SaeSpec(saeId, s.site(), params.toAbsolutePath().toString());
            saes.add(spec);
        }
        log.printf(
                "SAEs: %d JumpReLU SAEs with random weights (d_in %d, d_sae %d; so expect FVU near 1) in Gemma Scope params.npz format under %s%n",
                saes.size(), s.width(), s.dSae(), s.workDir().resolve("saes"));
        return saes;
    }
}
