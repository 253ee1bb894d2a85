package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.flink.types.SaeRunState;
import dev.scopeflow.flink.types.SaeStatsSnapshot;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.ActivationHistogram;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.IntervalSamples;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TopExamples;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The keyed statistics operator in Flink's keyed harness: state per (run, SAE) survives a snapshot and
 * restore through its own serializer, and snapshots are published at end of input and on the interval.
 */
class SaeStatsFunctionTest {

    private static final String RUN = "run-stats";
    private static final int D_IN = 6;
    private static final int TOP_K = 4;

    @Test
    void stateRestoredFromASnapshotContinuesWhereItStopped() throws Exception {
        Random random = new Random(7);
        List<SaeCodesBatch> a = new ArrayList<>();
        List<SaeCodesBatch> b = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            a.add(randomBatch("sae-a", 30, i, random));
            b.add(randomBatch("sae-b", 20, i, random));
        }

        OperatorSubtaskState checkpoint;
        try (KeyedOneInputStreamOperatorTestHarness<String, SaeCodesBatch, SaeStatsSnapshot> before = harness(0)) {
            before.open();
            for (int i = 0; i < 3; i++) {
                before.processElement(a.get(i), i);
                before.processElement(b.get(i), i);
            }
            checkpoint = before.snapshot(1, 3);
            // Records after the checkpoint are lost with the failed task; the source replays them.
            before.processElement(a.get(3), 3);
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, SaeCodesBatch, SaeStatsSnapshot> after = harness(0)) {
            after.initializeState(checkpoint);
            after.open();
            for (int i = 3; i < 6; i++) {
                after.processElement(a.get(i), i);
                after.processElement(b.get(i), i);
            }
            after.processWatermark(Long.MAX_VALUE); // end of input: every key publishes once

            List<SaeStatsSnapshot> out = after.extractOutputValues();
            assertThat(out).extracting(s -> s.saeId).containsExactlyInAnyOrder("sae-a", "sae-b");
            for (SaeStatsSnapshot snapshot : out) {
                assertMatchesAllOf(snapshot, snapshot.saeId.equals("sae-a") ? a : b);
            }
        }
    }

    @Test
    void publishesTheWholeStateEveryIntervalWhileInputArrives() throws Exception {
        Random random = new Random(11);
        List<SaeCodesBatch> batches = List.of(randomBatch("sae-a", 16, 0, random), randomBatch("sae-a", 16, 1, random));
        try (KeyedOneInputStreamOperatorTestHarness<String, SaeCodesBatch, SaeStatsSnapshot> harness = harness(1_000)) {
            harness.open();
            harness.setProcessingTime(100);
            harness.processElement(batches.get(0), 0);
            assertThat(harness.extractOutputValues()).isEmpty();
            harness.setProcessingTime(1_000);
            harness.processElement(batches.get(1), 1);
            harness.setProcessingTime(2_000);

            List<SaeStatsSnapshot> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            assertMatchesAllOf(out.get(0), batches.subList(0, 1));
            assertMatchesAllOf(out.get(1), batches);
            assertThat(out.get(0).version).isLessThan(out.get(1).version);
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, SaeCodesBatch, SaeStatsSnapshot> harness(
            long intervalMillis) throws Exception {
        // Not opened: a restoring test must initialize state first.
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new SaeStatsFunction(TOP_K, intervalMillis)),
                SaeCodesBatch::statsKey,
                Types.STRING);
    }

    /** The snapshot holds exactly what the accumulators make of {@code batches}, added one by one here. */
    private static void assertMatchesAllOf(SaeStatsSnapshot snapshot, List<SaeCodesBatch> batches) {
        int dSae = batches.get(0).dSae;
        FeatureStats features = new FeatureStats(dSae);
        TopExamples top = new TopExamples(dSae, TOP_K);
        ReconstructionStats reconstruction = new ReconstructionStats(D_IN);
        ActivationHistogram histogram = new ActivationHistogram(dSae);
        IntervalSamples intervals = new IntervalSamples(dSae);
        for (SaeCodesBatch batch : batches) {
            SparseCodes codes = batch.toSparseCodes();
            features.addAll(codes);
            top.addAll(codes, batch.docIds, batch.positions);
            reconstruction.merge(ReconstructionStats.fromBytes(batch.reconstruction));
            histogram.addAll(codes);
            intervals.addAll(codes, batch.docIds, batch.positions);
        }
        SaeRunState state = SaeRunState.fromBytes(snapshot.state);
        assertThat(snapshot.runId).isEqualTo(RUN);
        assertThat(snapshot.version).isEqualTo(features.tokens());
        assertThat(state.statistics().features().toBytes()).isEqualTo(features.toBytes());
        assertThat(state.statistics().topExamples().toBytes()).isEqualTo(top.toBytes());
        assertThat(state.statistics().reconstruction().toBytes()).isEqualTo(reconstruction.toBytes());
        assertThat(state.statistics().histogram().toBytes()).isEqualTo(histogram.toBytes());
        assertThat(state.statistics().intervalSamples().toBytes()).isEqualTo(intervals.toBytes());
    }

    /** Sparse codes of {@code rows} tokens of one document, with the reconstruction statistics of random x. */
    private static SaeCodesBatch randomBatch(String saeId, int dSae, int doc, Random random) {
        int rows = 5 + random.nextInt(6);
        float[] dense = new float[rows * dSae];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextFloat() < 0.2f ? 0.01f + 5 * random.nextFloat() : 0;
        }
        SparseCodes codes = SparseCodes.fromDense(dense, rows, dSae);
        float[] x = new float[rows * D_IN];
        float[] reconstructed = new float[rows * D_IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
            reconstructed[i] = x[i] + 0.1f * (float) random.nextGaussian();
        }
        ReconstructionStats reconstruction = new ReconstructionStats(D_IN);
        reconstruction.addAll(x, reconstructed, codes);
        long[] docIds = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docIds[r] = doc;
            positions[r] = r + 1;
        }
        return new SaeCodesBatch(RUN, saeId, codes, docIds, positions, new int[rows], reconstruction);
    }
}
