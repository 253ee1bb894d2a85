package dev.scopeflow.flink;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.cluster.EmbeddedKafka;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.sae.kernel.LibTorch;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TokenFilter;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * End-to-end throughput of the statistics job (activations already in Kafka → ClickHouse rows committed)
 * against the standalone operator throughput (sae-operators encode + FeatureStats + TopExamples +
 * ReconstructionStats on the same batches, same parallelism, same JVM, same run). Run by hand, not by the
 * build; see BENCHMARKS.md. Arguments: docs seqLen parallelism store kernel (default 64 128 2 all auto; store is the
 * job's {@code --store} policy, e.g. none to measure the job without the activation store; kernel is the job's
 * {@code --backend}, e.g. java for the default before AUTO). The standalone side encodes with the kernel the job
 * resolves to, each of its threads with the job's libtorch thread budget (this machine's cores / parallelism).
 */
public final class EndToEndBenchmark {

    private static final int D_IN = 2304;
    private static final int D_SAE = 16384;

    public static void main(String[] args) throws Exception {
        int docs = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int seqLen = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        StorePolicy store = StorePolicy.parse(args.length > 3 ? args[3] : "all");
        MatmulBackend kernel = MatmulBackend.valueOf(args.length > 4 ? args[4].toUpperCase(Locale.ROOT) : "AUTO");
        Path dir = Files.createTempDirectory("scopeflow-e2e-bench");
        Path params = dir.resolve("sae/params.npz");
        Files.createDirectories(params.getParent());
        // Thresholds around 2.6-3.4 sigma of the pre-activations give L0 in the tens, as real 16k SAEs have.
        Process python = new ProcessBuilder(
                        "python3",
                        "flink-jobs/src/test/resources/write_gemma_scope_sae.py",
                        params.toString(),
                        String.valueOf(D_IN),
                        String.valueOf(D_SAE),
                        "5",
                        "2.6",
                        "3.4")
                .redirectErrorStream(true)
                .start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (python.waitFor() != 0) {
            throw new IllegalStateException("numpy SAE writer failed: " + out);
        }
        Site site = Site.parse("res.12");
        List<ActivationBatch> batches = new SyntheticActivations("bench", "bench", site, D_IN, ActivationDtype.BF16, 1)
                .documents(0, docs, seqLen, 64);
        long tokens = batches.stream()
                .mapToLong(b -> TokenFilter.gemmaDefault().countedRows(b).length)
                .sum();

        double standalone = standaloneTokensPerSecond(params, batches, parallelism, kernel.resolve(), tokens);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
                EmbeddedClickHouse clickHouse = EmbeddedClickHouse.start(dir.resolve("clickhouse"))) {
            TopicNames topics = TopicNames.withPrefix("bench");
            KafkaTopics.ensure(kafka.bootstrapServers(), topics, parallelism * 2);
            ClickHouseMigrations.apply(clickHouse.http(), "bench");
            try (ActivationPublisher publisher = new ActivationPublisher(kafka.bootstrapServers(), topics)) {
                batches.forEach(publisher::publish);
            }
            FeatureStatsJobConfig config = FeatureStatsJobConfig.builder()
                    .setRunId("bench")
                    .addSae(new SaeSpec("bench-16k", site, params.toString()))
                    .optStorePolicy(store)
                    .optBackend(kernel)
                    .build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(
                    parallelism, FeatureStatsJobMain.localCluster(Files.createTempDirectory("bench-checkpoints-")));
            env.enableCheckpointing(5_000);
            long start = System.nanoTime();
            FeatureStatsJob.run(
                    env,
                    new FeatureStatsJob.Endpoints(
                            kafka.bootstrapServers(), topics, clickHouse.httpUrl(), clickHouse.writer(), "bench", true),
                    config);
            double seconds = (System.nanoTime() - start) / 1e9;
            long committed = Long.parseLong(clickHouse
                    .http()
                    .query("SELECT max(version) FROM bench.feature_stats")
                    .get(0)
                    .get(0));
            if (committed != tokens) {
                throw new IllegalStateException("job committed " + committed + " tokens, expected " + tokens);
            }
            double endToEnd = tokens / seconds;
            long stored = Long.parseLong(clickHouse
                    .http()
                    .query("SELECT count() FROM bench.feature_activations FINAL")
                    .get(0)
                    .get(0));
            long fired = Long.parseLong(clickHouse
                    .http()
                    .query("SELECT sum(fire_count) FROM bench.feature_stats FINAL")
                    .get(0)
                    .get(0));
            if (store.equals(StorePolicy.all()) && stored != fired) {
                throw new IllegalStateException("stored " + stored + " activations, the statistics counted " + fired);
            }
            System.out.printf(
                    "tokens %d, parallelism %d, d_in %d x d_sae %d, store %s, kernel %s (%s): %d activations stored"
                            + " (%.1f per token)%n",
                    tokens,
                    parallelism,
                    D_IN,
                    D_SAE,
                    store,
                    kernel,
                    kernel.resolve(),
                    stored,
                    (double) stored / tokens);
            System.out.printf("standalone operators: %.1f tokens/s%n", standalone);
            System.out.printf(
                    "end to end (Kafka -> Flink -> ClickHouse, job start to committed): %.1f tokens/s in %.1f s%n",
                    endToEnd, seconds);
            System.out.printf("ratio: %.2f%n", endToEnd / standalone);
        }
    }

    /** The same work the job does per batch, on {@code parallelism} threads, without Kafka, Flink or ClickHouse. */
    private static double standaloneTokensPerSecond(
            Path params, List<ActivationBatch> batches, int parallelism, MatmulBackend kernel, long tokens)
            throws Exception {
        int torchThreads = LibTorch.threadBudget(Runtime.getRuntime().availableProcessors(), parallelism);
        try (JumpReluSae sae = JumpReluSae.loadGemmaScope(params, kernel)) {
            ExecutorService pool = Executors.newFixedThreadPool(parallelism);
            try {
                long start = System.nanoTime();
                List<Future<Long>> parts = new java.util.ArrayList<>();
                for (int p = 0; p < parallelism; p++) {
                    int part = p;
                    parts.add(pool.submit(() -> {
                        if (kernel == MatmulBackend.TORCH) {
                            LibTorch.setIntraOpThreads(torchThreads);
                        }
                        FeatureStats stats = new FeatureStats(D_SAE);
                        TopExamples top = new TopExamples(D_SAE);
                        ReconstructionStats reconstruction = new ReconstructionStats(D_IN);
                        TokenFilter filter = TokenFilter.gemmaDefault();
                        for (int i = part; i < batches.size(); i += parallelism) {
                            ActivationBatch batch = batches.get(i);
                            int[] rows = filter.countedRows(batch);
                            float[] x = new float[rows.length * D_IN];
                            long[] docs = new long[rows.length];
                            int[] positions = new int[rows.length];
                            for (int r = 0; r < rows.length; r++) {
                                System.arraycopy(batch.values(), rows[r] * D_IN, x, r * D_IN, D_IN);
                                docs[r] = batch.docId(rows[r]);
                                positions[r] = batch.position(rows[r]);
                            }
                            SparseCodes codes = sae.encode(x, rows.length);
                            stats.addAll(codes);
                            top.addAll(codes, docs, positions);
                            reconstruction.addAll(x, sae.decode(codes), codes);
                        }
                        return stats.tokens();
                    }));
                }
                long counted = 0;
                for (Future<Long> f : parts) {
                    counted += f.get();
                }
                if (counted != tokens) {
                    throw new IllegalStateException("standalone counted " + counted + " tokens, expected " + tokens);
                }
                return tokens / ((System.nanoTime() - start) / 1e9);
            } finally {
                pool.shutdown();
            }
        }
    }
}
