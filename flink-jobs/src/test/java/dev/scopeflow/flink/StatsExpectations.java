package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.SaeStatistics;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** Shared by the job ITCases: SAE fixtures written by numpy, in-memory expectations, row-by-row comparison. */
public final class StatsExpectations {

    private StatsExpectations() {}

    /** The job's endpoints on the ITCase's real services, logging in to ClickHouse as the writer. */
    public static FeatureStatsJob.Endpoints endpoints(
            RealServices services, TopicNames topics, String database, boolean bounded) {
        return new FeatureStatsJob.Endpoints(
                services.kafka().bootstrapServers(),
                topics,
                services.clickHouse().httpUrl(),
                services.clickHouse().writer(),
                database,
                bounded);
    }

    /**
     * The job's config for tests whose expectations ({@link #inMemory}, {@code ActivationStoreExpectations}) encode
     * token by token and are compared bit for bit: the JAVA kernel, whose sums for a row do not depend on which other
     * rows are encoded with it. TORCH's (the default where libtorch loads) do: libtorch's bits for a row depend on the
     * block's row count (a lone row takes another path) and, for small blocks, on the thread count, so a TORCH job
     * agrees with token-by-token expectations to float rounding only (~1e-7 relative, seen on these tests). The default kernel's numbers are compared exactly with {@code scopeflow
     * stats}, which encodes the same blocks, in {@link StatsMatchesJobITCase}.
     */
    public static FeatureStatsJobConfig.Builder jobConfig(String runId) {
        return FeatureStatsJobConfig.builder().setRunId(runId).optBackend(MatmulBackend.JAVA);
    }

    /** Writes a random Gemma Scope params.npz with numpy (an independent writer of the real format). */
    public static SaeSpec numpySae(Path dir, String id, Site site, int dIn, int dSae, int seed) throws Exception {
        Path params = dir.resolve("saes").resolve(id).resolve("params.npz");
        Files.createDirectories(params.getParent());
        Process python = new ProcessBuilder(
                        "python3",
                        "src/test/resources/write_gemma_scope_sae.py",
                        params.toString(),
                        String.valueOf(dIn),
                        String.valueOf(dSae),
                        String.valueOf(seed))
                .redirectErrorStream(true)
                .start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy SAE writer: %s", output).isZero();
        return new SaeSpec(id, site, params.toString());
    }

    /**
     * What the job should have committed for one SAE, computed directly by sae-operators one token at a time
     * (not in the job's batches), with the rows of Gemma 2's special tokens excluded as the job's default
     * filter does: listed here, not taken from {@code TokenFilter}, so a filter that drops too few or too many
     * ids makes the counts differ.
     */
    static SaeStatistics inMemory(SaeSpec spec, List<ActivationBatch> batches) throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(Path.of(spec.path()));
        SaeStatistics expected = new SaeStatistics(sae.dSae(), sae.dIn(), TopExamples.DEFAULT_K);
        for (ActivationBatch batch : batches) {
            for (int r = 0; r < batch.rows(); r++) {
                if (isGemmaSpecial(batch.tokenId(r))) {
                    continue;
                }
                float[] row = new float[batch.width()];
                System.arraycopy(batch.values(), r * batch.width(), row, 0, batch.width());
                SparseCodes codes = sae.encode(row, 1);
                expected.addReconstructed(
                        row, sae.decode(codes), codes, new long[] {batch.docId(r)}, new int[] {batch.position(r)});
            }
        }
        return expected;
    }

    private static boolean isGemmaSpecial(int tokenId) {
        return tokenId == GemmaTokens.PAD || tokenId == GemmaTokens.EOS || tokenId == GemmaTokens.BOS;
    }

    /** Every row of {@code spec} in ClickHouse (read through JDBC) equals the independent computation. */
    static void assertRowsMatch(Connection jdbc, String db, String runId, SaeSpec spec, SaeStatistics expected)
            throws Exception {
        assertFeatureRows(jdbc, db, runId, spec, expected.features());
        assertTopExamples(jdbc, db, runId, spec, expected.topExamples());
        assertReconstruction(jdbc, db, runId, spec, expected.reconstruction());
        assertDistributions(jdbc, db, runId, spec, expected);
    }

    /** Histogram bins and interval samples of every firing feature, exactly. */
    private static void assertDistributions(
            Connection jdbc, String db, String runId, SaeSpec spec, SaeStatistics expected) throws Exception {
        List<String> wantBins = new ArrayList<>();
        List<String> wantSamples = new ArrayList<>();
        for (int f = 0; f < expected.features().dSae(); f++) {
            long[] counts = expected.histogram().counts(f);
            for (int bin = 0; bin < counts.length; bin++) {
                if (counts[bin] > 0) {
                    wantBins.add(f + "/" + bin + "/" + counts[bin]);
                }
            }
            for (int interval = 0; interval < expected.intervalSamples().intervalCount(); interval++) {
                List<TopExamples.Example> kept = expected.intervalSamples().samples(f, interval);
                for (int i = 0; i < kept.size(); i++) {
                    TopExamples.Example e = kept.get(i);
                    wantSamples.add(f + "/" + interval + "/" + (i + 1) + "/" + e.doc() + "/" + e.position() + "/"
                            + e.activation());
                }
            }
        }
        assertThat(rows(
                        jdbc,
                        "SELECT feature, bin, count FROM " + db + ".feature_histograms FINAL WHERE run_id = ? "
                                + "AND sae_id = ? ORDER BY feature, bin",
                        runId,
                        spec.saeId()))
                .as("histogram bins of %s (feature/bin/count)", spec.saeId())
                .isNotEmpty()
                .isEqualTo(wantBins);
        assertThat(rows(
                        jdbc,
                        "SELECT feature, interval_index, sample_rank, doc_id, position, activation FROM " + db
                                + ".interval_samples FINAL WHERE run_id = ? AND sae_id = ? ORDER BY feature, interval_index, sample_rank",
                        runId,
                        spec.saeId()))
                .as("interval samples of %s", spec.saeId())
                .isNotEmpty()
                .isEqualTo(wantSamples);
    }

    /** Rows of a query as "/"-joined strings; floats via getFloat so they print as Java floats. */
    private static List<String> rows(Connection jdbc, String sql, String runId, String saeId) throws Exception {
        List<String> out = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement(sql)) {
            query.setString(1, runId);
            query.setString(2, saeId);
            try (ResultSet rs = query.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int c = 1; c <= columns; c++) {
                        row.append(c > 1 ? "/" : "")
                                .append(
                                        c == columns && sql.contains("activation")
                                                ? String.valueOf(rs.getFloat(c))
                                                : rs.getString(c));
                    }
                    out.add(row.toString());
                }
            }
        }
        return out;
    }

    private static void assertFeatureRows(Connection jdbc, String db, String runId, SaeSpec spec, FeatureStats expected)
            throws Exception {
        assertThat(expected.tokens()).isGreaterThan(0);
        long firing = 0;
        try (PreparedStatement query =
                jdbc.prepareStatement("SELECT feature, n_tokens, fire_count, act_sum, act_max FROM " + db
                        + ".feature_stats FINAL WHERE run_id = ? AND sae_id = ? ORDER BY feature")) {
            query.setString(1, runId);
            query.setString(2, spec.saeId());
            try (ResultSet rs = query.executeQuery()) {
                int f = 0;
                while (rs.next()) {
                    assertThat(rs.getInt(1)).isEqualTo(f);
                    assertThat(rs.getLong(2)).as("tokens of %s", spec.saeId()).isEqualTo(expected.tokens());
                    assertThat(rs.getLong(3))
                            .as("fire count of %s feature %d", spec.saeId(), f)
                            .isEqualTo(expected.fireCount(f));
                    assertThat(rs.getDouble(4))
                            .as("activation sum of %s feature %d", spec.saeId(), f)
                            .isCloseTo(expected.sum(f), within(1e-9 * Math.max(1, Math.abs(expected.sum(f)))));
                    assertThat(rs.getFloat(5))
                            .as("max of %s feature %d", spec.saeId(), f)
                            .isEqualTo(expected.max(f));
                    firing += expected.fireCount(f) > 0 ? 1 : 0;
                    f++;
                }
                assertThat(f).as("rows for %s", spec.saeId()).isEqualTo(expected.dSae());
            }
        }
        // The data must exercise the statistic: some features fire, some never do.
        assertThat(firing).isGreaterThan(0).isLessThan(expected.dSae());
    }

    private static void assertTopExamples(Connection jdbc, String db, String runId, SaeSpec spec, TopExamples expected)
            throws Exception {
        List<String> want = new ArrayList<>();
        for (int f = 0; f < expected.dSae(); f++) {
            List<TopExamples.Example> examples = expected.examples(f);
            for (int rank = 0; rank < examples.size(); rank++) {
                TopExamples.Example e = examples.get(rank);
                want.add(f + "/" + (rank + 1) + "/" + e.doc() + "/" + e.position() + "/" + e.activation());
            }
        }
        List<String> got = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement("SELECT feature, rank, doc_id, position, activation FROM "
                + db + ".top_examples FINAL WHERE run_id = ? AND sae_id = ? ORDER BY feature, rank")) {
            query.setString(1, runId);
            query.setString(2, spec.saeId());
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    got.add(rs.getInt(1) + "/" + rs.getInt(2) + "/" + rs.getLong(3) + "/" + rs.getInt(4) + "/"
                            + rs.getFloat(5));
                }
            }
        }
        assertThat(want).as("the data must fill some top-k lists").isNotEmpty();
        assertThat(got)
                .as("top examples of %s (feature/rank/doc/pos/activation)", spec.saeId())
                .isEqualTo(want);
    }

    private static void assertReconstruction(
            Connection jdbc, String db, String runId, SaeSpec spec, ReconstructionStats expected) throws Exception {
        try (PreparedStatement query =
                jdbc.prepareStatement("SELECT n_tokens, l0, mse, fvu, explained_variance, cosine, "
                        + "l2_ratio, relative_reconstruction_bias FROM " + db + ".reconstruction_stats FINAL "
                        + "WHERE run_id = ? AND sae_id = ?")) {
            query.setString(1, runId);
            query.setString(2, spec.saeId());
            try (ResultSet rs = query.executeQuery()) {
                assertThat(rs.next())
                        .as("reconstruction row of %s", spec.saeId())
                        .isTrue();
                assertThat(rs.getLong(1)).isEqualTo(expected.tokens());
                double[] want = {
                    expected.l0(),
                    expected.mse(),
                    expected.fvu(),
                    expected.explainedVariance(),
                    expected.cosine(),
                    expected.l2Ratio(),
                    expected.relativeReconstructionBias()
                };
                for (int i = 0; i < want.length; i++) {
                    assertThat(rs.getDouble(i + 2))
                            .as("reconstruction column %d of %s", i + 2, spec.saeId())
                            .isCloseTo(want[i], within(1e-9 * Math.max(1, Math.abs(want[i]))));
                }
                assertThat(rs.next()).isFalse();
            }
        }
    }

    /** The run's committed progress summed over its sites: records read, tokens counted, dead letters. */
    static List<Long> progress(Connection jdbc, String db, String runId) throws Exception {
        return progressWhere(jdbc, db, "run_id = ?", runId);
    }

    /** The committed progress of one (run, site): records read, tokens counted, dead letters. */
    static List<Long> progress(Connection jdbc, String db, String runId, String site) throws Exception {
        return progressWhere(jdbc, db, "run_id = ? AND site = ?", runId, site);
    }

    private static List<Long> progressWhere(Connection jdbc, String db, String where, String... values)
            throws Exception {
        try (PreparedStatement query = jdbc.prepareStatement("SELECT sum(records), sum(tokens), sum(dead_letters), "
                + "count() FROM " + db + ".site_progress FINAL WHERE " + where)) {
            for (int i = 0; i < values.length; i++) {
                query.setString(i + 1, values[i]);
            }
            try (ResultSet rs = query.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(4))
                        .as("progress rows where %s %s", where, List.of(values))
                        .isPositive();
                return List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }
}
