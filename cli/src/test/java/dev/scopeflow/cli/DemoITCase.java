package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.registry.RunsRegistry;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.producers.tokenizer.GemmaTokenizerPackage;
import dev.scopeflow.sae.kernel.LibTorch;
import dev.scopeflow.sae.kernel.MatmulBackend;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow demo} end to end on real services, once on an embedded MiniCluster (all of the bundled text) and
 * once submitted as the shaded job jar through a Flink REST endpoint (its first 20 documents); the documents and
 * stored token ids must be an independent tokenization of the bundled text ({@link DemoText}), the printed summary
 * must equal the statistics computed in memory from the same SAE files and activations, and the named query's
 * answer a brute force over the stored rows.
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
        checkDemo("embedded", 100);
    }

    @Test
    void demoSubmittedAsJobJarToFlinkRestEndpoint() throws Exception {
        Path jobJar = Path.of("target/job/scopeflow-flink-job.jar");
        assertThat(jobJar).as("job jar copied at package time").isRegularFile();
        checkDemo(
                "remote",
                20,
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
        FeatureStats expected = inMemory(params, batches, 1, new ReconstructionStats(24));
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
        for (EncodedBatch encoded : encodeAsTheJobDoes(params, batches, 1)) { // run-job --parallelism 1
            for (int i = 0; i < encoded.rows().length; i++) {
                int r = encoded.rows()[i];
                int l0 = encoded.codes().l0(i);
                if (l0 > 0) {
                    want.add(List.of(
                            String.valueOf(encoded.batch().docId(r)),
                            String.valueOf(encoded.batch().position(r)),
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

    private static void checkDemo(String name, int maxDocs, String... flinkOptions) throws Exception {
        Demo.Settings settings = new Demo.Settings(
                SERVICES.workDir().resolve(name), "run-" + name, Site.parse("mlp.4"), maxDocs, 33, 40, 300, 2, 2, 5);
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

        List<DemoText.Window> windows = DemoText.windows(maxDocs, 33);
        long documents = Math.min(maxDocs, DemoText.texts().size());
        assertThat(windows.stream().filter(w -> w.windowStart() > 0))
                .as("the text has documents longer than one window")
                .isNotEmpty();
        assertThat(report.documents()).isEqualTo(documents);
        assertThat(report.windows()).isEqualTo(windows.size());
        assertThat(report.tokens()).isEqualTo(DemoText.tokens(windows));
        assertThat(report.saes()).hasSize(2);
        String db = "demo_" + name;
        String run = "run_id = 'run-" + name + "'";
        ClickHouseHttp http = SERVICES.clickHouse().http();
        assertStoredDocumentsAre(http, db, run, windows);
        assertStoredTokenIdsAreTheDocumentTokens(http, db, run, windows);

        // The activations the demo must have published for those windows.
        SyntheticActivations source =
                new SyntheticActivations(settings.runId(), "any", settings.site(), 40, ActivationDtype.BF16, 5);
        List<ActivationBatch> batches = new ArrayList<>();
        for (DemoText.Window w : windows) {
            int[] positions = IntStream.range(w.windowStart(), w.windowStart() + w.tokenIds().length)
                    .toArray();
            batches.addAll(source.tokens(w.docId(), positions, w.tokenIds(), Demo.MAX_ROWS));
        }
        long counted = DemoText.countedTokens(windows);
        for (int i = 0; i < 2; i++) {
            ResultsReader.SaeEvaluation evaluation = report.saes().get(i);
            SaeSummary printed = evaluation.summary().orElseThrow();
            ResultsReader.Reconstruction printedReconstruction =
                    evaluation.reconstruction().orElseThrow();
            ReconstructionStats reconstruction = new ReconstructionStats(40);
            FeatureStats expected = inMemory(
                    settings.workDir().resolve("saes/sae_" + i + "/params.npz"),
                    batches,
                    settings.parallelism(),
                    reconstruction);
            long fires = 0;
            long dead = 0;
            long dense = 0;
            for (int f = 0; f < expected.dSae(); f++) {
                fires += expected.fireCount(f);
                dead += expected.fireCount(f) == 0 ? 1 : 0;
                dense += expected.fireCount(f) * 10 > expected.tokens() ? 1 : 0; // density > 10 % in integers
            }
            assertThat(printed.tokens()).isEqualTo(expected.tokens()).isEqualTo(counted);
            assertThat(printed.features()).isEqualTo(300);
            assertThat(printed.dead()).isEqualTo(dead).isGreaterThanOrEqualTo(4); // every 97th cannot fire
            assertThat(printed.dense()).isEqualTo(dense).isGreaterThan(0);
            assertThat(printed.meanL0()).isCloseTo((double) fires / expected.tokens(), within(1e-9));
            assertThat(printedReconstruction.fvu())
                    .isCloseTo(reconstruction.fvu(), within(1e-9 * Math.abs(reconstruction.fvu())));
            assertThat(printedReconstruction.cosine()).isCloseTo(reconstruction.cosine(), within(1e-9));
        }
        List<List<String>> runs = http.query("SELECT status, tokens, corpus FROM " + db + ".runs FINAL WHERE " + run);
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).subList(0, 2)).containsExactly("finished", String.valueOf(counted));
        assertThat(runs.get(0).get(2)).contains("the tokens are real, the activations random");
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("published " + documents + " documents of " + Demo.CORPUS + " in " + windows.size()
                        + " windows")
                .contains("synthetic mlp.4 activations of their " + DemoText.tokens(windows) + " tokens");
        assertAnswerIsTheTopFeaturesOfTheStoredRows(http, db, run, report, windows);
    }

    /**
     * The documents table holds exactly the independently cut windows: ids, starts, token ids, first-window text.
     * (With the demo's windows switched off, one window per document, checkDemo already fails on the window count.)
     */
    private static void assertStoredDocumentsAre(
            ClickHouseHttp http, String db, String run, List<DemoText.Window> windows) {
        List<List<String>> want = new ArrayList<>();
        for (DemoText.Window w : windows) {
            want.add(List.of(
                    String.valueOf(w.docId()),
                    String.valueOf(w.windowStart()),
                    Arrays.stream(w.tokenIds()).mapToObj(String::valueOf).collect(Collectors.joining(",", "[", "]")),
                    w.text()));
        }
        assertThat(http.query("SELECT doc_id, window_start, token_ids, text FROM " + db + ".documents FINAL WHERE "
                        + run + " ORDER BY doc_id, window_start"))
                .isEqualTo(want);
    }

    /**
     * Every stored activation (both SAEs) carries the document's token at its (doc_id, position). Checked to fail
     * with the demo publishing every token id plus one.
     */
    private static void assertStoredTokenIdsAreTheDocumentTokens(
            ClickHouseHttp http, String db, String run, List<DemoText.Window> windows) {
        Map<String, Integer> tokenAt = new HashMap<>();
        for (DemoText.Window w : windows) {
            for (int i = 0; i < w.tokenIds().length; i++) {
                tokenAt.put(w.docId() + "/" + (w.windowStart() + i), w.tokenIds()[i]);
            }
        }
        List<List<String>> stored =
                http.query("SELECT doc_id, position, token_id FROM " + db + ".feature_activations FINAL WHERE " + run);
        assertThat(stored).hasSizeGreaterThan(windows.size());
        for (List<String> row : stored) {
            assertThat(row.get(2))
                    .as("token at doc %s position %s", row.get(0), row.get(1))
                    .isEqualTo(String.valueOf(tokenAt.get(row.get(0) + "/" + row.get(1))));
        }
    }

    /**
     * The named query's answer equals a brute force over the first SAE's stored rows of document 0 (read from the
     * feature → tokens table, not the by-token table the query reads): per position 1 ≤ p < 9 its 2 highest
     * activations, ties by feature; each token's text is the tokenizer's. Checked to fail with the demo asking
     * for 3 features per token.
     */
    private static void assertAnswerIsTheTopFeaturesOfTheStoredRows(
            ClickHouseHttp http, String db, String run, Demo.Report report, List<DemoText.Window> windows)
            throws Exception {
        Demo.NamedAnswer answer = report.answer();
        String sae = report.saes().get(0).saeId();
        List<List<String>> stored = new ArrayList<>(http.query("SELECT position, token_id, feature, activation FROM "
                + db + ".feature_activations FINAL WHERE " + run + " AND sae_id = '" + sae + "' AND doc_id = 0"));
        stored.removeIf(row -> Integer.parseInt(row.get(0)) < 1 || Integer.parseInt(row.get(0)) >= 9);
        stored.sort(Comparator.<List<String>>comparingInt(row -> Integer.parseInt(row.get(0)))
                .thenComparing(row -> -Float.parseFloat(row.get(3)))
                .thenComparingInt(row -> Integer.parseInt(row.get(2))));
        List<List<String>> want = new ArrayList<>();
        Map<String, Integer> perPosition = new HashMap<>();
        for (List<String> row : stored) {
            if (perPosition.merge(row.get(0), 1, Integer::sum) <= 2) {
                want.add(row);
            }
        }
        assertThat(want).as("8 positions, 2 features each").hasSize(16);
        assertThat(answer.name()).isEqualTo("top-features-per-token");
        assertThat(answer.rows().columns()).containsExactly("position", "token_id", "feature", "activation");
        assertThat(answer.rows().rows()).isEqualTo(want);
        int[] doc0 = windows.get(0).tokenIds();
        try (GemmaTokenizer tokenizer = GemmaTokenizerPackage.load()) {
            for (List<String> row : answer.rows().rows()) {
                int token = Integer.parseInt(row.get(1));
                assertThat(token).isEqualTo(doc0[Integer.parseInt(row.get(0))]);
                assertThat(answer.tokenTexts().get(token)).isEqualTo(tokenizer.decode(token));
            }
        }
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        RunSummary.printNamedAnswer(
                new PrintStream(printed, true, StandardCharsets.UTF_8), answer, "./scopeflow query");
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("\"" + answer.tokenTexts().get(doc0[2]) + "\"")
                .contains("./scopeflow query --named top-features-per-token --param run=" + report.runId()
                        + " --param sae=" + sae + " --param doc=0 --param from=1 --param to=9 --param n=2");
    }

    private static FeatureStats inMemory(
            Path params, List<ActivationBatch> batches, int parallelism, ReconstructionStats reconstruction)
            throws Exception {
        FeatureStats stats = null;
        for (EncodedBatch encoded : encodeAsTheJobDoes(params, batches, parallelism)) {
            stats = stats != null ? stats : new FeatureStats(encoded.codes().dSae());
            stats.addAll(encoded.codes());
            reconstruction.addAll(encoded.x(), encoded.decoded(), encoded.codes());
        }
        return stats;
    }

    /** A batch's counted (non-BOS) rows, their values packed, their codes and the SAE's reconstruction of them. */
    private record EncodedBatch(ActivationBatch batch, int[] rows, float[] x, SparseCodes codes, float[] decoded) {}

    /**
     * Each batch's counted rows encoded as one block with the job's default kernel (AUTO: TORCH here) and the
     * libtorch threads of the job's encode subtasks ({@code parallelism} of them, one per slot, on this machine's
     * cores), as the job encodes a record's counted rows. Token by token, or with other threads, would not do: for
     * small blocks libtorch's bits for a row depend on the block's row count and on the thread count (seen on these
     * shapes: 4 rows vs 2, 1 thread vs 2 at 5 rows), so only the job's own blocks and threads reproduce its codes.
     */
    private static List<EncodedBatch> encodeAsTheJobDoes(Path params, List<ActivationBatch> batches, int parallelism)
            throws Exception {
        List<EncodedBatch> encoded = new ArrayList<>();
        int threadsBefore = LibTorch.intraOpThreads();
        LibTorch.setIntraOpThreads(LibTorch.threadBudget(Runtime.getRuntime().availableProcessors(), parallelism));
        try (JumpReluSae sae = JumpReluSae.loadGemmaScope(params, MatmulBackend.AUTO)) {
            for (ActivationBatch batch : batches) {
                int[] rows = IntStream.range(0, batch.rows())
                        .filter(r -> batch.tokenId(r) != GemmaTokens.BOS)
                        .toArray();
                if (rows.length == 0) {
                    continue;
                }
                float[] x = new float[rows.length * batch.width()];
                for (int i = 0; i < rows.length; i++) {
                    System.arraycopy(batch.values(), rows[i] * batch.width(), x, i * batch.width(), batch.width());
                }
                SparseCodes codes = sae.encode(x, rows.length);
                encoded.add(new EncodedBatch(batch, rows, x, codes, sae.decode(codes)));
            }
        } finally {
            LibTorch.setIntraOpThreads(threadsBefore);
        }
        return encoded;
    }
}
