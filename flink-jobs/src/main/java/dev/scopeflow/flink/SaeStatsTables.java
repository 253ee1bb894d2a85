package dev.scopeflow.flink;

import dev.scopeflow.sae.stats.ActivationHistogram;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.IntervalSamples;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.RowBinaryWriter;

import java.util.List;

/**
 * Writes one SAE's statistics snapshot into {@code feature_stats} (a row per feature), {@code top_examples}
 * (a row per feature and rank), {@code reconstruction_stats} (one row), {@code feature_histograms} and
 * {@code interval_samples} (rows for firing features), all versioned by tokens counted.
 * Rows travel as RowBinary so floats arrive bit-exact on every ClickHouse version.
 */
public final class SaeStatsTables implements ClickHouseSnapshotSink.TableWriter<SaeStatsSnapshot> {

    private static final long serialVersionUID = 1L;

    static final List<String> FEATURE_COLUMNS =
            List.of("run_id", "sae_id", "feature", "n_tokens", "fire_count", "act_sum", "act_max", "version");
    static final List<String> TOP_EXAMPLE_COLUMNS =
            List.of("run_id", "sae_id", "feature", "rank", "doc_id", "position", "activation", "version");
    static final List<String> HISTOGRAM_COLUMNS =
            List.of("run_id", "sae_id", "feature", "bin", "lower_edge", "upper_edge", "count", "version");
    static final List<String> INTERVAL_COLUMNS = List.of("run_id", "sae_id", "feature", "interval_index", "lower_edge",
            "upper_edge", "sample_rank", "doc_id", "position", "activation", "version");
    static final List<String> RECONSTRUCTION_COLUMNS = List.of("run_id", "sae_id", "n_tokens", "l0", "mse", "fvu",
            "explained_variance", "cosine", "l2_ratio", "relative_reconstruction_bias", "version");

    @Override
    public void write(ClickHouseHttp clickHouse, String database, SaeStatsSnapshot snapshot) {
        SaeRunState state = SaeRunState.fromBytes(snapshot.state);
        clickHouse.insertRowBinary(database + ".feature_stats", FEATURE_COLUMNS, featureRows(state, snapshot.version));
        clickHouse.insertRowBinary(database + ".top_examples", TOP_EXAMPLE_COLUMNS, topExampleRows(state, snapshot.version));
        clickHouse.insertRowBinary(database + ".reconstruction_stats", RECONSTRUCTION_COLUMNS,
                reconstructionRow(state, snapshot.version));
        clickHouse.insertRowBinary(database + ".feature_histograms", HISTOGRAM_COLUMNS, histogramRows(state, snapshot.version));
        clickHouse.insertRowBinary(database + ".interval_samples", INTERVAL_COLUMNS, intervalRows(state, snapshot.version));
    }

    /** Non-empty bins only: a bin never empties as tokens are added, so newer versions overwrite every row. */
    static RowBinaryWriter histogramRows(SaeRunState state, long version) {
        ActivationHistogram h = state.statistics().histogram();
        RowBinaryWriter rows = new RowBinaryWriter(1024);
        for (int f = 0; f < h.dSae(); f++) {
            if (state.statistics().features().fireCount(f) == 0) {
                continue;
            }
            long[] counts = h.counts(f);
            for (int bin = 0; bin < counts.length; bin++) {
                if (counts[bin] > 0) {
                    rows.string(state.runId()).string(state.saeId()).uint32(f).uint16(bin).float32(h.lowerEdge(bin))
                            .float32(h.upperEdge(bin)).uint64(counts[bin]).uint64(version);
                }
            }
        }
        return rows;
    }

    static RowBinaryWriter intervalRows(SaeRunState state, long version) {
        IntervalSamples samples = state.statistics().intervalSamples();
        RowBinaryWriter rows = new RowBinaryWriter(1024);
        for (int f = 0; f < samples.dSae(); f++) {
            if (state.statistics().features().fireCount(f) == 0) {
                continue;
            }
            for (int interval = 0; interval < samples.intervalCount(); interval++) {
                List<TopExamples.Example> kept = samples.samples(f, interval);
                for (int i = 0; i < kept.size(); i++) {
                    TopExamples.Example e = kept.get(i);
                    rows.string(state.runId()).string(state.saeId()).uint32(f).uint16(interval)
                            .float32(samples.lowerEdge(interval)).float32(samples.upperEdge(interval)).uint16(i + 1)
                            .int64(e.doc()).uint32(e.position()).float32(e.activation()).uint64(version);
                }
            }
        }
        return rows;
    }

    static RowBinaryWriter featureRows(SaeRunState state, long version) {
        FeatureStats stats = state.statistics().features();
        RowBinaryWriter rows = new RowBinaryWriter(stats.dSae() * (state.runId().length() + state.saeId().length() + 46));
        for (int f = 0; f < stats.dSae(); f++) {
            rows.string(state.runId()).string(state.saeId()).uint32(f).uint64(stats.tokens()).uint64(stats.fireCount(f))
                    .float64(stats.sum(f)).float32(stats.max(f)).uint64(version);
        }
        return rows;
    }

    static RowBinaryWriter topExampleRows(SaeRunState state, long version) {
        TopExamples top = state.statistics().topExamples();
        RowBinaryWriter rows = new RowBinaryWriter(1024);
        for (int f = 0; f < top.dSae(); f++) {
            List<TopExamples.Example> examples = top.examples(f);
            for (int rank = 0; rank < examples.size(); rank++) {
                TopExamples.Example e = examples.get(rank);
                rows.string(state.runId()).string(state.saeId()).uint32(f).uint16(rank + 1).int64(e.doc())
                        .uint32(e.position()).float32(e.activation()).uint64(version);
            }
        }
        return rows;
    }

    static RowBinaryWriter reconstructionRow(SaeRunState state, long version) {
        ReconstructionStats r = state.statistics().reconstruction();
        return new RowBinaryWriter(128).string(state.runId()).string(state.saeId()).uint64(r.tokens())
                .float64(r.l0()).float64(r.mse()).float64(r.fvu()).float64(r.explainedVariance()).float64(r.cosine())
                .float64(r.l2Ratio()).float64(r.relativeReconstructionBias()).uint64(version);
    }
}
