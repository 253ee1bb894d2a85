package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.registry.RunsRegistry;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import dev.scopeflow.schemas.results.SaeSummary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow demo} end to end on real services, once on an embedded MiniCluster and once submitted as
 * the shaded job jar through a Flink REST endpoint; the printed summary must equal the statistics computed in
 * memory from the same SAE files and activations.
 */
class DemoITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    /** A Flink cluster in its own JVM, reached only through its REST endpoint, as a real one would be. */
    private static StandaloneFlinkCluster flinkCluster;

    @BeforeAll
    static void startFlink() throws Exception {
        flinkCluster = StandaloneFlinkCluster.start(SERVICES.workDir().resolve("flink"));
    }

    @AfterAll
    static void stopFlink() throws Exception {
        if (flinkCluster != null) {
            flinkCluster.close();
        }
    }

    @Test
    void demoOnEmbeddedMiniCluster() throws Exception {
        checkDemo("embedded");
    }

    @Test
    void demoSubmittedAsJobJarToFlinkRestEndpoint() throws Exception {
        Path jobJar = Path.of("target/job/scopeflow-flink-job.jar");
        assertThat(jobJar).as("job jar copied at package time").isRegularFile();
        checkDemo(
                "remote",
                "--flink",
                "127.0.0.1:" + flinkCluster.restPort(),
                "--job-jar",
                jobJar.toAbsolutePath().toString());
    }

    @Test
    void runJobCommandComputesTheStatisticsOfAPublishedRun() throws Exception {
        Path params = SERVICES.workDir().resolve("run-job/sae/params.npz");
        DemoSaeWriter.write(params, 24, 150, 99);
        Site site = Site.parse("att.2");
        List<ActivationBatch> batches =
                new SyntheticActivations("cli-run", "any", site, 24, ActivationDtype.F32, 4).documents(0, 10, 20, 8);
        TopicNames topics = TopicNames.withPrefix("run-job");
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 2);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            batches.forEach(publisher::publish);
        }

        // What produce records before publishing; run-job checks the SAE against it.
        ClickHouseHttp registry = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(registry, "cli_job");
        new RunSitesRows().add("cli-run", site, 24, "any", Instant.now()).insertInto(registry, "cli_job");

        List<String> args = new ArrayList<>(List.of(
                "run-job",
                "--run-id",
                "cli-run",
                "--sae",
                "s1=att.2=" + params,
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                "cli_job",
                "--topic-prefix",
                "run-job",
                "--parallelism",
                "1",
                "--store",
                "top-per-token 2"));
        args.addAll(SERVICES.clickHouseWriterOptions());
        int exit = ScopeFlow.commandLine().execute(args.toArray(String[]::new));

        assertThat(exit).isZero();
        FeatureStats expected = inMemory(params, batches, new ReconstructionStats(24));
        ClickHouseHttp http = SERVICES.clickHouse().http();
        assertThat(http.query(
                        "SELECT site, sha256, architecture, d_in, d_sae FROM cli_job.saes FINAL WHERE sae_id = 's1'"))
                .containsExactly(List.of("att.2", RunsRegistry.sha256(params), "jumprelu", "24", "150"));
        assertThat(http.query("SELECT status, tokens, sites FROM cli_job.runs FINAL WHERE run_id = 'cli-run'"))
                .containsExactly(List.of("finished", String.valueOf(expected.tokens()), "['att.2']"));
        assertStoredTopTwoPerToken(http, params, batches);
        List<List<String>> rows = SERVICES.clickHouse()
                .http()
                .query(
                        "SELECT feature, n_tokens, fire_count FROM cli_job.feature_stats FINAL WHERE run_id = 'cli-run' ORDER BY feature");
        assertThat(rows).hasSize(150);
        for (int f = 0; f < 150; f++) {
            assertThat(rows.get(f))
                    .containsExactly(
                            String.valueOf(f),
                            String.valueOf(expected.tokens()),
                            String.valueOf(expected.fireCount(f)));
        }
    }

    /** --store: the policy is recorded and each token keeps its min(2, L0) activations. */
    private static void assertStoredTopTwoPerToken(ClickHouseHttp http, Path params, List<ActivationBatch> batches)
            throws Exception {
        assertThat(http.query("SELECT sae_id, policy FROM cli_job.store_policies FINAL WHERE run_id = 'cli-run'"))
                .containsExactly(List.of("s1", "top-per-token 2"));
        List<List<String>> want = new ArrayList<>();
        JumpReluSae sae = JumpReluSae.loadGemmaScope(params);
        for (ActivationBatch batch : batches) {
            for (int r = 0; r < batch.rows(); r++) {
                float[] row = new float[batch.width()];
                System.arraycopy(batch.values(), r * batch.width(), row, 0, batch.width());
                int l0 = sae.encode(row, 1).nnz();
                if (batch.tokenId(r) != GemmaTokens.BOS && l0 > 0) {
                    want.add(List.of(
                            String.valueOf(batch.docId(r)),
                            String.valueOf(batch.position(r)),
                            String.valueOf(Math.min(2, l0))));
                }
            }
        }
        assertThat(want).anySatisfy(token -> assertThat(token.get(2)).isEqualTo("2"));
        assertThat(
                        http.query(
                                "SELECT doc_id, position, count() FROM cli_job.feature_activations FINAL "
                                        + "WHERE run_id = 'cli-run' AND sae_id = 's1' GROUP BY doc_id, position ORDER BY doc_id, position"))
                .isEqualTo(want);
    }

    private static void checkDemo(String name, String... flinkOptions) throws Exception {
        Demo.Settings settings = new Demo.Settings(
                SERVICES.workDir().resolve(name), "run-" + name, Site.parse("mlp.4"), 12, 33, 40, 300, 2, 2, 5);
        List<String> args =
                new ArrayList<>(List.of("--kafka", SERVICES.kafka().bootstrapServers(), "--database", "demo_" + name));
        args.addAll(SERVICES.clickHouseWriterOptions());
        args.addAll(List.of(flinkOptions));
        ServiceOptions options = TestingServiceOptions.parse(
                ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK), args.toArray(String[]::new));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
        Demo.Report report;
        try (Services services = options.resolve(logStream)) {
            report = Demo.run(settings, services, logStream);
        }

        assertThat(report.tokens()).isEqualTo(12 * 33);
        assertThat(report.saes()).hasSize(2);
        List<ActivationBatch> batches = new SyntheticActivations(
                        settings.runId(), "any", settings.site(), 40, ActivationDtype.BF16, settings.seed())
                .documents(0, 12, 33, 64);
        for (int i = 0; i < 2; i++) {
            ResultsReader.SaeEvaluation evaluation = report.saes().get(i);
            SaeSummary printed = evaluation.summary().orElseThrow();
            ResultsReader.Reconstruction printedReconstruction =
                    evaluation.reconstruction().orElseThrow();
            ReconstructionStats reconstruction = new ReconstructionStats(40);
            FeatureStats expected =
                    inMemory(settings.workDir().resolve("saes/sae_" + i + "/params.npz"), batches, reconstruction);
            long fires = 0;
            long dead = 0;
            long dense = 0;
            for (int f = 0; f < expected.dSae(); f++) {
                fires += expected.fireCount(f);
                dead += expected.fireCount(f) == 0 ? 1 : 0;
                dense += expected.fireCount(f) * 10 > expected.tokens() ? 1 : 0; // density > 10 % in integers
            }
            assertThat(printed.tokens()).isEqualTo(expected.tokens()).isEqualTo(12 * 32);
            assertThat(printed.features()).isEqualTo(300);
            assertThat(printed.dead()).isEqualTo(dead).isGreaterThanOrEqualTo(4); // every 97th cannot fire
            assertThat(printed.dense()).isEqualTo(dense).isGreaterThan(0);
            assertThat(printed.meanL0()).isCloseTo((double) fires / expected.tokens(), within(1e-9));
            assertThat(printedReconstruction.fvu())
                    .isCloseTo(reconstruction.fvu(), within(1e-9 * Math.abs(reconstruction.fvu())));
            assertThat(printedReconstruction.cosine()).isCloseTo(reconstruction.cosine(), within(1e-9));
        }
        List<List<String>> runs = SERVICES.clickHouse()
                .http()
                .query("SELECT status, tokens FROM demo_" + name + ".runs FINAL WHERE run_id = 'run-" + name + "'");
        assertThat(runs).containsExactly(List.of("finished", String.valueOf(12 * 32)));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("published 396 tokens of mlp.4 activations");
    }

    private static FeatureStats inMemory(Path params, List<ActivationBatch> batches, ReconstructionStats reconstruction)
            throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(params);
        FeatureStats stats = new FeatureStats(sae.dSae());
        for (ActivationBatch batch : batches) {
            for (int r = 0; r < batch.rows(); r++) {
                if (batch.tokenId(r) != GemmaTokens.BOS) {
                    float[] row = new float[batch.width()];
                    System.arraycopy(batch.values(), r * batch.width(), row, 0, batch.width());
                    SparseCodes codes = sae.encode(row, 1);
                    stats.addAll(codes);
                    reconstruction.addAll(row, sae.decode(codes), codes);
                }
            }
        }
        return stats;
    }
}
