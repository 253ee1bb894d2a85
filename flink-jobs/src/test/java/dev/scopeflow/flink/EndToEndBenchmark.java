package dev.scopeflow.flink;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.cluster.EmbeddedKafka;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.producers.stream.CorpusProducer;
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
import dev.scopeflow.schemas.format.NpyWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * End-to-end throughput of the statistics job (activations already in Kafka → ClickHouse rows committed)
 * against the standalone operator throughput (sae-operators encode + FeatureStats + TopExamples +
 * ReconstructionStats on the same batches, same parallelism, same JVM, same run) and against {@code scopeflow
 * stats}' marginal throughput on the same activations (the command itself, run from the repository root, so build
 * it first: {@code ./scopeflow --help}). Run by hand, not by the
 * build; see BENCHMARKS.md. Arguments: docs seqLen parallelism store kernel rowsPerRecord (default 64 128 2 all auto,
 * and records sized as produce sizes them; store is the
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
        // Rows per Kafka record: by default as produce and publish size them (1 MiB of bf16 values: 227 rows).
        int rowsPerRecord = args.length > 5
                ? Integer.parseInt(args[5])
                : CorpusProducer.rowsPerRecord(CorpusProducer.DEFAULT_MAX_RECORD_BYTES, D_IN, ActivationDtype.BF16);
        long checkpointMillis =
                args.length > 6 ? Long.parseLong(args[6]) : FeatureStatsJobMain.DEFAULT_CHECKPOINT_INTERVAL_MS;
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
                .documents(0, docs, seqLen, rowsPerRecord);
        long tokens = batches.stream()
                .mapToLong(b -> TokenFilter.gemmaDefault().countedRows(b).length)
                .sum();

        double standalone = standaloneTokensPerSecond(params, batches, parallelism, kernel.resolve(), tokens);
        StatsMarginal stats = statsMarginal(dir.resolve("stats"), params, batches, docs, seqLen, tokens);
        double runSeconds = timeRun(dir.resolve("stats/all"), params, site, dir.resolve("run-work"), tokens);
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
            env.enableCheckpointing(checkpointMillis);
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
                    "tokens %d (%d documents of %d, records of at most %d rows), parallelism %d, d_in %d x d_sae %d,"
                            + " store %s, kernel %s (%s): %d activations stored (%.1f per token)%n",
                    tokens,
                    docs,
                    seqLen,
                    rowsPerRecord,
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
                    "scopeflow stats: %d tokens in %.1f s, %d in %.1f s: marginal %.1f tokens/s%n",
                    stats.fewerTokens(), stats.fewerSeconds(), tokens, stats.allSeconds(), stats.tokensPerSecond());
            System.out.printf(
                    "end to end (Kafka -> Flink -> ClickHouse, job start to committed): %.1f tokens/s in %.1f s%n",
                    endToEnd, seconds);
            System.out.printf("ratio: %.2f%n", endToEnd / standalone);
            System.out.printf("ratio to scopeflow stats marginal: %.2f%n", endToEnd / stats.tokensPerSecond());
            System.out.printf(
                    "scopeflow run --activations on the same file: %.1f s, %.2f x scopeflow stats' %.1f s%n",
                    runSeconds, runSeconds / stats.allSeconds(), stats.allSeconds());
        }
    }

    /** {@code scopeflow stats}'s wall times on a quarter of the documents and on all, and the tokens/s between. */
    record StatsMarginal(long fewerTokens, double fewerSeconds, double allSeconds, double tokensPerSecond) {}

    /**
     * {@code scopeflow stats} as a user runs it (the command, its own JVM, the job's SAE file) on the same activations
     * as the job, written in capture's layout (BOS excluded through tokens.json, as the job's token filter does): once
     * on the first quarter of the documents and once on all, so the difference is its marginal throughput with the
     * fixed costs (JVM start, SAE load, output) taken out, as issue 14 measures it.
     */
    private static StatsMarginal statsMarginal(
            Path dir, Path params, List<ActivationBatch> batches, int docs, int seqLen, long tokens) throws Exception {
        Files.createDirectories(dir);
        int fewerDocs = docs / 4;
        long fewerTokens = writeCapture(dir.resolve("quarter"), batches, fewerDocs, seqLen);
        writeCapture(dir.resolve("all"), batches, docs, seqLen);
        double fewerSeconds = timeStats(dir.resolve("quarter"), params, fewerTokens);
        double allSeconds = timeStats(dir.resolve("all"), params, tokens);
        return new StatsMarginal(
                fewerTokens, fewerSeconds, allSeconds, (tokens - fewerTokens) / (allSeconds - fewerSeconds));
    }

    /**
     * The first {@code docs} documents of {@code batches} (in document, then position order, each {@code seqLen}
     * long) as {@code res.npy} [docs, seqLen, D_IN] and {@code tokens.json}; returns the tokens the job would count.
     */
    private static long writeCapture(Path dir, List<ActivationBatch> batches, int docs, int seqLen) throws Exception {
        Files.createDirectories(dir);
        long next = 0;
        long counted = 0;
        StringBuilder tokens = new StringBuilder("[");
        try (NpyWriter npy = NpyWriter.float32(dir.resolve("res.npy"), docs, seqLen, D_IN)) {
            for (ActivationBatch batch : batches) {
                for (int r = 0; r < batch.rows() && next < (long) docs * seqLen; r++, next++) {
                    if (batch.docId(r) * seqLen + batch.position(r) != next) {
                        throw new IllegalStateException("synthetic rows out of order at doc " + batch.docId(r)
                                + " position " + batch.position(r));
                    }
                    npy.write(batch.values(), r * D_IN, D_IN);
                    tokens.append(batch.position(r) == 0 ? (next == 0 ? "[" : "],[") : ",")
                            .append(batch.tokenId(r));
                    counted += batch.tokenId(r) == 2 ? 0 : 1;
                }
            }
        }
        Files.writeString(dir.resolve("tokens.json"), tokens.append("]]").toString());
        return counted;
    }

    /** Wall time of one {@code ./scopeflow stats} process (run from the repository root), checking its token count. */
    private static double timeStats(Path capture, Path params, long tokens) throws Exception {
        return timeScopeflow(
                out -> out.startsWith(tokens + " tokens,"),
                "did not count " + tokens + " tokens",
                "stats",
                "--sae",
                params.toString(),
                "--activations",
                capture.resolve("res.npy").toString(),
                "--tokens",
                capture.resolve("tokens.json").toString(),
                "--exclude-bos",
                "--out",
                capture.resolve("out").toString());
    }

    /**
     * Wall time of one {@code ./scopeflow run --activations} process on the file stats read (its defaults: bf16 on
     * the wire, parallelism 2, store all), services started in a fresh {@code workDir} and stopped by the command
     * itself, as a user's one-shot run; checks that its summary counts {@code tokens}.
     */
    private static double timeRun(Path capture, Path params, Site site, Path workDir, long tokens) throws Exception {
        Pattern summaryRow = Pattern.compile("(?m)^bench-16k\\s+" + tokens + "\\s");
        return timeScopeflow(
                out -> summaryRow.matcher(out).find(),
                "did not count " + tokens + " tokens",
                "run",
                "--activations",
                capture.resolve("res.npy").toString(),
                "--tokens",
                capture.resolve("tokens.json").toString(),
                "--site",
                site.toString(),
                "--run-id",
                "bench-run",
                "--sae",
                "bench-16k=" + site + "=" + params,
                "--work-dir",
                workDir.toString());
    }

    /**
     * Wall time of one {@code ./scopeflow} process (run from the repository root, as a user runs it), which must
     * exit 0 with an output {@code ok} accepts; otherwise fails saying it {@code failure}.
     */
    private static double timeScopeflow(Predicate<String> ok, String failure, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("./scopeflow"));
        command.addAll(List.of(args));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (process.waitFor() != 0 || !ok.test(out)) {
            throw new IllegalStateException("scopeflow " + String.join(" ", args) + " " + failure + ": " + out);
        }
        return seconds;
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
                List<Future<Long>> parts = new ArrayList<>();
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
