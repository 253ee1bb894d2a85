package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.SaeRunState;
import dev.scopeflow.flink.types.SaeStatsSnapshot;
import dev.scopeflow.sae.stats.ActivationHistogram;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.IntervalSamples;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.FeatureHistogramsRows;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import dev.scopeflow.schemas.results.IntervalSamplesRows;
import dev.scopeflow.schemas.results.ReconstructionStatsRows;
import dev.scopeflow.schemas.results.TopExamplesRows;
import java.util.List;

/**
 * Writes one SAE's statistics snapshot into {@code feature_stats} (a row per feature), {@code top_examples}
 * (a row per feature and rank), {@code reconstruction_stats} (one row), {@code feature_histograms} and
 * {@code interval_samples} (rows for firing features), all versioned by tokens counted.
 * Rows travel as RowBinary so floats arrive bit-exact on every ClickHouse version.
 */
public final class SaeStatsTables implements ClickHouseSnapshotSink.TableWriter<SaeStatsSnapshot> {

    private static final long serialVersionUID = 1L;

    @Override
    public void write(ClickHouseHttp clickHouse, String database, SaeStatsSnapshot snapshot) {
        SaeRunState state = SaeRunState.fromBytes(snapshot.state);
        featureRows(state, snapshot.version).insertInto(clickHouse, database);
        topExampleRows(state, snapshot.version).insertInto(clickHouse, database);
        reconstructionRow(state, snapshot.version).insertInto(clickHouse, database);
        histogramRows(state, snapshot.version).insertInto(clickHouse, database);
        intervalRows(state, snapshot.version).insertInto(clickHouse, database);
    }

    /** Non-empty bins only: a bin never empties as tokens are added, so newer versions overwrite every row. */
    static FeatureHistogramsRows histogramRows(SaeRunState state, long version) {
        ActivationHistogram h = state.statistics().histogram();
        FeatureHistogramsRows rows = new FeatureHistogramsRows(16);
        for (int f = 0; f < h.dSae(); f++) {
            if (state.statistics().features().fireCount(f) == 0) {
                continue;
            }
            long[] counts = h.counts(f);
            for (int bin = 0; bin < counts.length; bin++) {
                if (counts[bin] > 0) {
                    rows.add(
                            state.runId(),
                            state.saeId(),
                            f,
                            bin,
                            h.lowerEdge(bin),
                            h.upperEdge(bin),
                            counts[bin],
                            version);
                }
            }
        }
        return rows;
    }

    static IntervalSamplesRows intervalRows(SaeRunState state, long version) {
        IntervalSamples samples = state.statistics().intervalSamples();
        IntervalSamplesRows rows = new IntervalSamplesRows(16);
        for (int f = 0; f < samples.dSae(); f++) {
            if (state.statistics().features().fireCount(f) == 0) {
                continue;
            }
            for (int interval = 0; interval < samples.intervalCount(); interval++) {
                List<TopExamples.Example> kept = samples.samples(f, interval);
                for (int i = 0; i < kept.size(); i++) {
                    TopExamples.Example e = kept.get(i);
                    rows.add(
                            state.runId(),
                            state.saeId(),
                            f,
                            interval,
                            samples.lowerEdge(interval),
                            samples.upperEdge(interval),
                            i + 1,
                            e.doc(),
                            e.position(),
                            e.activation(),
                            version);
                }
            }
        }
        return rows;
    }

    static FeatureStatsRows featureRows(SaeRunState state, long version) {
        FeatureStats stats = state.statistics().features();
        FeatureStatsRows rows = new FeatureStatsRows(stats.dSae());
        for (int f = 0; f < stats.dSae(); f++) {
            rows.add(
                    state.runId(),
                    state.saeId(),
                    f,
                    stats.tokens(),
                    stats.fireCount(f),
                    stats.sum(f),
                    stats.max(f),
                    version);
        }
        return rows;
    }

    static TopExamplesRows topExampleRows(SaeRunState state, long version) {
        TopExamples top = state.statistics().topExamples();
        TopExamplesRows rows = new TopExamplesRows(16);
        for (int f = 0; f < top.dSae(); f++) {
            List<TopExamples.Example> examples = top.examples(f);
            for (int rank = 0; rank < examples.size(); rank++) {
                TopExamples.Example e = examples.get(rank);
                rows.add(state.runId(), state.saeId(), f, rank + 1, e.doc(), e.position(), e.activation(), version);
            }
        }
        return rows;
    }

    static ReconstructionStatsRows reconstructionRow(SaeRunState state, long version) {
        ReconstructionStats r = state.statistics().reconstruction();
        return new ReconstructionStatsRows()
                .add(
                        state.runId(),
                        state.saeId(),
                        r.tokens(),
                        r.l0(),
                        r.mse(),
                        r.fvu(),
                        r.explainedVariance(),
                        r.cosine(),
                        r.l2Ratio(),
                        r.relativeReconstructionBias(),
                        version,
                        r.msePerToken(),
                        new ReconstructionStatsRows.RawSums(
                                r.sumSquaredError(),
                                r.sumInputNormSquared(),
                                r.sumReconNormSquared(),
                                r.sumDot(),
                                r.inputSums()));
    }
}
