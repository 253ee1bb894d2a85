package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.stats.StatsRun;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.format.NpyWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The "done when": {@code scopeflow stats} on an activation .npy and the streaming job (real Kafka,
 * MiniCluster, real ClickHouse) on the same activations write identical numbers for every statistic both
 * produce: every row of feature_stats, top_examples, feature_histograms, interval_samples and
 * reconstruction_stats equals the corresponding CSV/JSON value exactly, floats and doubles included. Exact is
 * the right bar because both paths run the same arithmetic in the same order: the same kernel (both defaults,
 * AUTO: TORCH here) on the same blocks of rows, one batch per sequence (stats batches by sequence; here each
 * sequence is published as one record to a one-partition topic, read at parallelism 1, so the job's one encode
 * subtask gets all the cores as libtorch threads, as {@code stats} does), and the same {@code SaeStatistics}
 * merging per-batch reconstruction statistics. (It passes with JAVA on both sides too, its form before AUTO; a
 * job and stats on different kernels differ in the last float bits.)
 *
 * <p>Token exclusion is aligned: tokens.json starts each sequence with BOS (and has one mid-sequence), ids are
 * otherwise never pad/EOS, stats runs with --exclude-bos, and the job's default filter drops BOS/pad/EOS.
 * Positions past a sequence's token list hold junk activations that only stats sees, and must ignore.
 */
class StatsMatchesJobITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(1)
            .build());

    private static final int N_SEQ = 12;
    private static final int SEQ_LEN = 24;
    private static final int D_IN = 32;
    private static final int D_SAE = 200;
    private static final int BOS = 2;

    private static final Site SITE = Site.parse("res.5");
    private static final String DB = "it_stats_vs_job";
    private static final String RUN_ID = "stats-vs-job";

    @Test
    void statsCommandAndStreamingJobWriteIdenticalNumbers() throws Exception {
        Path dir = SERVICES.workDir().resolve("stats-vs-job");
        SaeSpec sae = StatsExpectations.numpySae(dir, "res5", SITE, D_IN, D_SAE, 21);

        SplittableRandom random = new SplittableRandom(42);
        float[] activations = new float[N_SEQ * SEQ_LEN * D_IN];
        for (int i = 0; i < activations.length; i++) {
            activations[i] = (float) (2 * random.nextGaussian());
        }
        List<int[]> tokens = new ArrayList<>();
        for (int s = 0; s < N_SEQ; s++) {
            int[] ids = new int[s == 0 ? SEQ_LEN : 1 + random.nextInt(SEQ_LEN)];
            for (int p = 0; p < ids.length; p++) {
                ids[p] = p == 0 ? BOS : 3 + random.nextInt(1000);
            }
            tokens.add(ids);
        }
        tokens.get(0)[SEQ_LEN / 2] = BOS;
        Path npy = dir.resolve("activations.npy");
        NpyWriter.writeFloat32(npy, activations, N_SEQ, SEQ_LEN, D_IN);
        Path tokensJson = dir.resolve("tokens.json");
        Files.writeString(
                tokensJson, tokens.stream().map(Arrays::toString).collect(Collectors.joining(", ", "[", "]")));

        Path out = dir.resolve("stats-out");
        StatsRun.Result stats = StatsRun.run(StatsRun.request()
                .setSae(Path.of(sae.path()))
                .setActivations(npy)
                .optTokens(tokensJson)
                .optExcludeBos(true)
                .optBackend(MatmulBackend.AUTO) // what `scopeflow stats` uses by default
                .setOut(out)
                .build());

        runJob(sae, tokens, activations);

        try (Connection jdbc = SERVICES.clickHouse().jdbc(DB)) {
            // Columns: L = integer, F = Float32, D = Float64; each side printed in Java's shortest form.
            assertSameRows(
                    jdbc,
                    "SELECT feature, fire_count, act_sum, act_max FROM feature_stats",
                    "feature",
                    "LLDF",
                    out.resolve("features.csv"),
                    0,
                    1,
                    3,
                    4);
            assertSameRows(
                    jdbc,
                    "SELECT feature, rank, doc_id, position, activation FROM top_examples",
                    "feature, rank",
                    "LLLLF",
                    out.resolve("top_examples.csv"),
                    0,
                    1,
                    2,
                    3,
                    4);
            assertSameRows(
                    jdbc,
                    "SELECT feature, bin, lower_edge, upper_edge, count FROM feature_histograms",
                    "feature, bin",
                    "LLFFL",
                    out.resolve("histograms.csv"),
                    0,
                    1,
                    2,
                    3,
                    4);
            assertSameRows(
                    jdbc,
                    "SELECT feature, interval_index, lower_edge, upper_edge, sample_rank, doc_id, "
                            + "position, activation FROM interval_samples",
                    "feature, interval_index, sample_rank",
                    "LLFFLLLF",
                    out.resolve("interval_samples.csv"),
                    0,
                    1,
                    2,
                    3,
                    4,
                    5,
                    6,
                    7);
            assertReconstructionMatchesSummary(jdbc, out.resolve("summary.json"));
            assertThat(queryRows(
                            jdbc, "SELECT DISTINCT n_tokens FROM " + DB + ".feature_stats FINAL WHERE run_id = ?", "L"))
                    .containsExactly(String.valueOf(stats.tokens()));
        }
        // Both paths really dropped BOS and the positions past each token list, and the data exercises the
        // statistics: features that never fire, full top-k lists, intervals that kept only some samples.
        long realTokens = tokens.stream().mapToLong(ids -> ids.length).sum();
        assertThat(stats.tokens()).isEqualTo(realTokens - N_SEQ - 1);
        assertThat(stats.summary().dead()).isPositive().isLessThan(D_SAE);
        assertThat(Files.readAllLines(out.resolve("top_examples.csv"))).anyMatch(line -> line.matches("\\d+,20,.*"));
        assertThat(Files.readAllLines(out.resolve("interval_samples.csv")))
                .anyMatch(line -> line.matches("\\d+,\\d+,[^,]+,[^,]+,5,.*"));
    }

    /** Each sequence's real tokens as one f32 record (doc = sequence index), then the job over them. */
    private static void runJob(SaeSpec sae, List<int[]> tokens, float[] activations) throws Exception {
        TopicNames topics = TopicNames.withPrefix("it-stats-vs-job");
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 1); // one partition: records stay in order
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            for (int s = 0; s < tokens.size(); s++) {
                int[] ids = tokens.get(s);
                long[] docs = new long[ids.length];
                int[] positions = new int[ids.length];
                for (int p = 0; p < ids.length; p++) {
                    docs[p] = s;
                    positions[p] = p;
                }
                int from = s * SEQ_LEN * D_IN;
                publisher.publish(new ActivationBatch(
                        RUN_ID,
                        "test-model",
                        SITE,
                        D_IN,
                        ActivationDtype.F32,
                        docs,
                        positions,
                        ids,
                        Arrays.copyOfRange(activations, from, from + ids.length * D_IN)));
            }
        }
        ClickHouseMigrations.apply(SERVICES.clickHouse().http(), DB);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(1);
        env.enableCheckpointing(1_000);
        FeatureStatsJob.run(
                env,
                StatsExpectations.endpoints(SERVICES, topics, DB, true),
                FeatureStatsJobConfig.builder().setRunId(RUN_ID).addSae(sae).build());
    }

    /**
     * The table's rows (FINAL, this run, ordered by {@code orderBy}) equal the CSV's rows, taking the CSV's
     * {@code csvColumns} in the query's column order; {@code types} says how to read and print each column.
     */
    private static void assertSameRows(
            Connection jdbc, String select, String orderBy, String types, Path csv, int... csvColumns)
            throws Exception {
        String sql = select.replace(" FROM ", " FROM " + DB + ".") + " FINAL WHERE run_id = ? ORDER BY " + orderBy;
        List<String> fromJob = queryRows(jdbc, sql, types);
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        List<String> fromStats = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            StringBuilder row = new StringBuilder();
            for (int c = 0; c < csvColumns.length; c++) {
                row.append(c > 0 ? "/" : "").append(normalise(cells[csvColumns[c]], types.charAt(c)));
            }
            fromStats.add(row.toString());
        }
        assertThat(fromStats).as("%s rows", csv.getFileName()).hasSizeGreaterThan(D_SAE / 4);
        assertThat(fromJob).as("%s vs %s", sql, csv.getFileName()).isEqualTo(fromStats);
    }

    private static List<String> queryRows(Connection jdbc, String sql, String types) throws Exception {
        List<String> rows = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement(sql)) {
            query.setString(1, RUN_ID);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int c = 0; c < types.length(); c++) {
                        row.append(c > 0 ? "/" : "")
                                .append(
                                        switch (types.charAt(c)) {
                                            case 'L' -> String.valueOf(rs.getLong(c + 1));
                                            case 'F' -> String.valueOf(rs.getFloat(c + 1));
                                            default -> String.valueOf(rs.getDouble(c + 1));
                                        });
                    }
                    rows.add(row.toString());
                }
            }
        }
        return rows;
    }

    private static String normalise(String cell, char type) {
        return switch (type) {
            case 'L' -> String.valueOf(Long.parseLong(cell));
            case 'F' -> String.valueOf(Float.parseFloat(cell));
            default -> String.valueOf(Double.parseDouble(cell));
        };
    }

    /** summary.json's reconstruction numbers equal the reconstruction_stats row bit for bit. */
    private static void assertReconstructionMatchesSummary(Connection jdbc, Path summaryJson) throws Exception {
        Map<String, String> summary = new HashMap<>();
        Matcher entry = Pattern.compile("\"(\\w+)\": ([^,\\n]+)").matcher(Files.readString(summaryJson));
        while (entry.find()) {
            summary.put(entry.group(1), entry.group(2).trim());
        }
        List<String> keys = List.of(
                "n_tokens",
                "l0",
                "mse",
                "mse_per_token",
                "fvu",
                "explained_variance",
                "cosine",
                "l2_ratio",
                "relative_reconstruction_bias");
        String want = keys.stream()
                .map(k -> normalise(summary.get(k), k.equals("n_tokens") ? 'L' : 'D'))
                .collect(Collectors.joining("/"));
        assertThat(queryRows(
                        jdbc,
                        "SELECT " + String.join(", ", keys) + " FROM " + DB
                                + ".reconstruction_stats FINAL WHERE run_id = ?",
                        "LDDDDDDDD"))
                .containsExactly(want);
    }
}
