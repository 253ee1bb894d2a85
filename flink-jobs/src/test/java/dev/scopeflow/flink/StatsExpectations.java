package dev.scopeflow.flink;

import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.sae.FeatureStats;
import dev.scopeflow.sae.JumpReluSae;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.Site;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Shared by the job ITCases: SAE fixtures written by numpy, in-memory expectations, row-by-row comparison. */
final class StatsExpectations {

    private StatsExpectations() {
    }

    /** Writes a random Gemma Scope params.npz with numpy (an independent writer of the real format). */
    static SaeSpec numpySae(Path dir, String id, Site site, int dIn, int dSae, int seed) throws Exception {
        Path params = dir.resolve("saes").resolve(id).resolve("params.npz");
        Files.createDirectories(params.getParent());
        Process python = new ProcessBuilder("python3", "src/test/resources/write_gemma_scope_sae.py", params.toString(),
                String.valueOf(dIn), String.valueOf(dSae), String.valueOf(seed)).redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy SAE writer: %s", output).isZero();
        return new SaeSpec(id, site, params.toString());
    }

    /** The statistics computed directly by sae-operators, one token at a time, BOS rows excluded. */
    static FeatureStats inMemory(SaeSpec spec, List<ActivationBatch> batches) throws Exception {
        JumpReluSae sae = JumpReluSae.loadGemmaScope(Path.of(spec.path()));
        FeatureStats stats = new FeatureStats(sae.dSae());
        for (ActivationBatch batch : batches) {
            for (int r = 0; r < batch.rows(); r++) {
                if (batch.tokenId(r) == SyntheticActivations.BOS_TOKEN_ID) {
                    continue;
                }
                float[] row = new float[batch.width()];
                System.arraycopy(batch.values(), r * batch.width(), row, 0, batch.width());
                stats.addAll(sae.encode(row, 1));
            }
        }
        return stats;
    }

    /** Every feature row of {@code spec} in ClickHouse (read through JDBC) equals {@code expected}. */
    static void assertRowsMatch(Connection jdbc, String db, String runId, SaeSpec spec, FeatureStats expected)
            throws Exception {
        assertThat(expected.tokens()).isGreaterThan(0);
        long firing = 0;
        try (PreparedStatement query = jdbc.prepareStatement("SELECT feature, n_tokens, fire_count, act_sum, act_max FROM "
                + db + ".feature_stats FINAL WHERE run_id = ? AND sae_id = ? ORDER BY feature")) {
            query.setString(1, runId);
            query.setString(2, spec.saeId());
            try (ResultSet rs = query.executeQuery()) {
                int f = 0;
                while (rs.next()) {
                    assertThat(rs.getInt(1)).isEqualTo(f);
                    assertThat(rs.getLong(2)).as("tokens of %s", spec.saeId()).isEqualTo(expected.tokens());
                    assertThat(rs.getLong(3)).as("fire count of %s feature %d", spec.saeId(), f)
                            .isEqualTo(expected.fireCount(f));
                    assertThat(rs.getDouble(4)).as("activation sum of %s feature %d", spec.saeId(), f)
                            .isCloseTo(expected.sum(f), within(1e-9 * Math.max(1, Math.abs(expected.sum(f)))));
                    assertThat(rs.getFloat(5)).as("max of %s feature %d", spec.saeId(), f).isEqualTo(expected.max(f));
                    firing += expected.fireCount(f) > 0 ? 1 : 0;
                    f++;
                }
                assertThat(f).as("rows for %s", spec.saeId()).isEqualTo(expected.dSae());
            }
        }
        // The data must exercise the statistic: some features fire, some never do.
        assertThat(firing).isGreaterThan(0).isLessThan(expected.dSae());
    }
}
