package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.StatsExpectations;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.types.DeadLetter;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.sae.kernel.LibTorch;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.util.TestingTaskManagerRuntimeInfo;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encode operator alone, in Flink's operator harness (no cluster, no Kafka): which rows it encodes, with
 * which SAE, and what goes to the dead-letter and progress outputs.
 */
class SaeEncodeOperatorTest {

    private static final String RUN = "run-encode";
    private static final Site RES_3 = Site.parse("res.3");
    private static final Site MLP_3 = Site.parse("mlp.3");
    private static final int D_IN = 24;

    @TempDir
    static Path dir;

    private static SaeSpec resA;
    private static SaeSpec resB;

    @BeforeAll
    static void writeSaes() throws Exception {
        resA = StatsExpectations.numpySae(dir, "res-a", RES_3, D_IN, 40, 1);
        resB = StatsExpectations.numpySae(dir, "res-b", RES_3, D_IN, 56, 2);
    }

    @Test
    void encodesCountedRowsWithEverySaeOfTheSite() throws Exception {
        // BOS (2), pad (0) and EOS (1) rows are in the batch but must not be encoded or counted.
        int[] tokenIds = {2, 651, 3922, 0, 576, 1, 8186};
        ActivationBatch batch = batch(RUN, RES_3, D_IN, tokenIds, 7);
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = harness()) {
            harness.processElement(record(batch, 11));
            harness.endInput();

            List<SaeCodesBatch> out = harness.extractOutputValues();
            assertThat(out).extracting(c -> c.saeId).containsExactly("res-a", "res-b");
            int[] counted = {1, 2, 4, 6};
            float[] x = rows(batch, counted);
            for (SaeCodesBatch codes : out) {
                SaeSpec spec = codes.saeId.equals("res-a") ? resA : resB;
                // The job's default kernel, AUTO, is TORCH here (libtorch is on the test classpath: LibTorchTest);
                // the kernels agree to float rounding, so the codes are compared with TORCH's bit for bit.
                SparseCodes expected = JumpReluSae.loadGemmaScope(Path.of(spec.path()), MatmulBackend.TORCH)
                        .encode(x, counted.length);
                assertThat(codes.runId).isEqualTo(RUN);
                assertThat(codes.toSparseCodes()).isEqualTo(expected);
                assertThat(codes.docIds).containsExactly(7, 7, 7, 7);
                assertThat(codes.positions).containsExactly(counted);
                assertThat(codes.tokenIds).containsExactly(651, 3922, 576, 8186);
            }
            assertThat(progress(harness))
                    .singleElement()
                    .satisfies(p -> assertThat(new long[] {p.records, p.tokens, p.deadLetters})
                            .containsExactly(1, 4, 0))
                    .satisfies(p -> assertThat(p.site).isEqualTo(RES_3.toString()));
            assertThat(harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS)).isNullOrEmpty();
        }
    }

    @Test
    void undecodableAndWrongWidthRecordsBecomeDeadLettersAndTheOperatorGoesOn() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = harness()) {
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("acts", 3, 41, new byte[] {1, 2, 3})));
            harness.processElement(record(batch(RUN, RES_3, D_IN + 1, new int[] {651, 576}, 8), 42));
            harness.processElement(record(batch(RUN, RES_3, D_IN, new int[] {2, 651}, 9), 43));
            harness.endInput();

            List<DeadLetter> dead = harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(d -> d.sourceOffset).containsExactly(41L, 42L);
            assertThat(dead.get(0).reason).startsWith("acts/3@41: cannot decode activation batch");
            assertThat(dead.get(0).value).containsExactly(1, 2, 3);
            assertThat(dead.get(1).reason).contains("batch width 25", "d_in 24", "res-a");
            // The good record after the bad ones is still encoded.
            assertThat(harness.extractOutputValues())
                    .extracting(c -> c.positions.length)
                    .containsExactly(1, 1);
            assertThat(progress(harness)).extracting(p -> p.deadLetters).containsExactly(1L, 1L, 0L);
            // The undecodable record names no run: it is counted under the reserved key, not as this run's.
            assertThat(progress(harness))
                    .extracting(p -> p.runId + "@" + p.site)
                    .containsExactly(
                            SiteProgressRows.UNDECODABLE_RUN_ID + "@" + SiteProgressRows.NO_SITE,
                            RUN + "@" + RES_3,
                            RUN + "@" + RES_3);
        }
    }

    @Test
    void recordsWithNonFiniteCountedValuesBecomeDeadLettersNamingDocPositionAndDimension() throws Exception {
        ActivationBatch inf = batch(RUN, RES_3, D_IN, new int[] {2, 651, 3922, 576}, 7);
        inf.values()[2 * D_IN + 5] = Float.POSITIVE_INFINITY;
        ActivationBatch nan = batch(RUN, RES_3, D_IN, new int[] {2, 651, 3922}, 8);
        nan.values()[D_IN + 17] = Float.NaN;
        // A NaN in an excluded (BOS) row never reaches a statistic, so that record is used.
        ActivationBatch nanInBos = batch(RUN, RES_3, D_IN, new int[] {2, 651}, 9);
        nanInBos.values()[3] = Float.NaN;
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = harness()) {
            harness.processElement(record(inf, 50));
            harness.processElement(record(nan, 51));
            harness.processElement(record(nanInBos, 52));
            harness.endInput();

            List<DeadLetter> dead = harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue)
                    .toList();
            assertThat(dead)
                    .extracting(d -> d.reason)
                    .containsExactly(
                            "acts/0@50: non-finite activation Infinity at row 2 (doc 7, position 2), dimension 5 of"
                                    + " site res.3",
                            "acts/0@51: non-finite activation NaN at row 1 (doc 8, position 1), dimension 17 of site"
                                    + " res.3");
            assertThat(harness.extractOutputValues())
                    .extracting(c -> c.docIds[0])
                    .containsExactly(9L, 9L);
            assertThat(progress(harness))
                    .extracting(p -> p.runId + "/" + p.records + "/" + p.tokens + "/" + p.deadLetters)
                    .containsExactly(RUN + "/1/0/1", RUN + "/1/0/1", RUN + "/1/1/0");
        }
    }

    @Test
    void skipsOtherRunsAndSitesWithoutSaes() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = harness()) {
            harness.processElement(record(batch("other-run", RES_3, D_IN, new int[] {651}, 1), 1));
            harness.processElement(record(batch(RUN, MLP_3, D_IN, new int[] {651}, 1), 2));
            harness.endInput();

            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(progress(harness)).isEmpty();
            assertThat(harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS)).isNullOrEmpty();
        }
    }

    /**
     * Records are encoded in groups of at least the group's rows, and each comes out exactly as if encoded alone
     * (codes, origins, reconstruction bytes, progress), in arrival order; nothing waits across a checkpoint barrier,
     * the end-of-input watermark or the end of input. Checked once with each of the three flushes switched off (the
     * records before it stay pending and the assertion after it fails).
     */
    @Test
    void groupsRecordsIntoOneEncodeAndEmitsEachAsIfEncodedAlone() throws Exception {
        List<ActivationBatch> batches = List.of(
                batch(RUN, RES_3, D_IN, new int[] {2, 651, 3922, 576, 8186}, 1), // 4 counted rows
                batch(RUN, RES_3, D_IN, new int[] {651, 3922, 576}, 2),
                batch(RUN, RES_3, D_IN, new int[] {2, 651, 3922, 576, 8186, 17}, 3), // 12 rows pending: a group
                batch(RUN, RES_3, D_IN, new int[] {651}, 4), // before a checkpoint barrier
                batch(RUN, RES_3, D_IN, new int[] {3922, 576}, 5), // before the end-of-input watermark
                batch(RUN, RES_3, D_IN, new int[] {576, 651, 8186}, 6)); // at the end of input
        List<SaeCodesBatch> alone = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> one =
                opened(new SaeEncodeOperator(twoSaes(), 1))) {
            for (int i = 0; i < batches.size(); i++) {
                one.processElement(record(batches.get(i), i));
                assertThat(one.extractOutputValues()).hasSize(2 * (i + 1)); // group of 1 row: encoded on arrival
            }
            alone.addAll(one.extractOutputValues());
        }
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> grouped =
                opened(new SaeEncodeOperator(twoSaes(), 10))) {
            grouped.processElement(record(batches.get(0), 0));
            grouped.processElement(record(batches.get(1), 1));
            assertThat(grouped.extractOutputValues()).isEmpty();
            assertThat(progress(grouped)).isEmpty();
            grouped.processElement(record(batches.get(2), 2));
            assertThat(grouped.extractOutputValues()).hasSize(6);
            assertThat(progress(grouped)).extracting(p -> p.tokens).containsExactly(4L, 3L, 5L);

            grouped.processElement(record(batches.get(3), 3));
            assertThat(grouped.extractOutputValues()).hasSize(6);
            grouped.prepareSnapshotPreBarrier(1);
            assertThat(grouped.extractOutputValues()).hasSize(8);

            grouped.processElement(record(batches.get(4), 4));
            grouped.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Object> emitted = new ArrayList<>(grouped.getOutput());
            assertThat(emitted.get(emitted.size() - 1)).isEqualTo(new Watermark(Long.MAX_VALUE));
            assertThat(grouped.extractOutputValues()).hasSize(10); // emitted before the watermark

            grouped.processElement(record(batches.get(5), 5));
            grouped.endInput();
            List<SaeCodesBatch> out = grouped.extractOutputValues();
            assertThat(out).hasSize(alone.size());
            for (int i = 0; i < out.size(); i++) {
                SaeCodesBatch g = out.get(i);
                SaeCodesBatch a = alone.get(i);
                assertThat(g.saeId).as("batch %d", i).isEqualTo(a.saeId);
                assertThat(g.toSparseCodes()).as("batch %d", i).isEqualTo(a.toSparseCodes());
                assertThat(g.docIds).as("batch %d", i).containsExactly(a.docIds);
                assertThat(g.positions).as("batch %d", i).containsExactly(a.positions);
                assertThat(g.tokenIds).as("batch %d", i).containsExactly(a.tokenIds);
                assertThat(g.reconstruction).as("batch %d", i).containsExactly(a.reconstruction);
            }
            assertThat(progress(grouped)).extracting(p -> p.tokens).containsExactly(4L, 3L, 5L, 1L, 2L, 3L);
        }
    }

    @Test
    void torchGetsTheTaskManagersCoresSharedAmongItsEncodeSubtasks() throws Exception {
        // cores, slots, parallelism -> threads: the slots that can hold an encode subtask share the cores
        assertThat(threadsAfterOpen(oneSae().optTaskManagerCores(4), 2, 2)).isEqualTo(2);
        assertThat(threadsAfterOpen(oneSae().optTaskManagerCores(4), 4, 1)).isEqualTo(4); // 1 subtask in 4 slots
        assertThat(threadsAfterOpen(oneSae().optTaskManagerCores(5), 2, 4)).isEqualTo(2);
        assertThat(threadsAfterOpen(oneSae().optTorchThreads(3), 2, 2)).isEqualTo(3);
        int processors = Runtime.getRuntime().availableProcessors();
        assertThat(threadsAfterOpen(oneSae(), 2, 2)).isEqualTo(Math.max(1, processors / 2));
    }

    @Test
    void javaRequestedEncodesWithJavaAndLeavesLibtorchsThreadsAlone() throws Exception {
        int before = LibTorch.intraOpThreads();
        int other = before == 1 ? 2 : 1;
        LibTorch.setIntraOpThreads(other);
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = opened(new SaeEncodeOperator(
                oneSae().optBackend(MatmulBackend.JAVA).optTorchThreads(3).build()))) {
            assertThat(LibTorch.intraOpThreads()).isEqualTo(other);
            ActivationBatch batch = batch(RUN, RES_3, D_IN, new int[] {651, 3922, 576}, 5);
            harness.processElement(record(batch, 1));
            harness.endInput();
            SparseCodes expected = JumpReluSae.loadGemmaScope(Path.of(resA.path()), MatmulBackend.JAVA)
                    .encode(batch.values(), 3);
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .satisfies(codes -> assertThat(codes.toSparseCodes()).isEqualTo(expected));
        } finally {
            LibTorch.setIntraOpThreads(before);
        }
    }

    /**
     * libtorch's intra-op threads on the encoding thread after the encoder opened on a task manager with {@code slots}
     * slots at parallelism {@code parallelism}. The count is set to something else first, so an encoder that did not
     * set it fails the caller's check (checked by removing the set in {@code SaeEncodeOperator.open} once).
     */
    private static int threadsAfterOpen(FeatureStatsJobConfig.Builder config, int slots, int parallelism)
            throws Exception {
        int before = LibTorch.intraOpThreads();
        LibTorch.setIntraOpThreads(7);
        Configuration taskManager = new Configuration();
        taskManager.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        try (MockEnvironment env = new MockEnvironmentBuilder()
                        .setParallelism(parallelism)
                        .setMaxParallelism(128)
                        .setTaskManagerRuntimeInfo(new TestingTaskManagerRuntimeInfo(taskManager))
                        .build();
                OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness =
                        new OneInputStreamOperatorTestHarness<>(new SaeEncodeOperator(config.build()), env)) {
            harness.open();
            return LibTorch.intraOpThreads();
        } finally {
            LibTorch.setIntraOpThreads(before);
        }
    }

    private static FeatureStatsJobConfig.Builder oneSae() {
        return FeatureStatsJobConfig.builder().setRunId(RUN).addSae(resA);
    }

    private static OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness() throws Exception {
        return opened(new SaeEncodeOperator(twoSaes()));
    }

    private static FeatureStatsJobConfig twoSaes() {
        return FeatureStatsJobConfig.builder()
                .setRunId(RUN)
                .addSae(resA)
                .addSae(resB)
                .build();
    }

    private static OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> opened(SaeEncodeOperator operator)
            throws Exception {
        OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness =
                new OneInputStreamOperatorTestHarness<>(operator);
        harness.open();
        return harness;
    }

    private static List<RunProgress> progress(OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> h) {
        var out = h.getSideOutput(SaeEncodeOperator.PROGRESS);
        return out == null
                ? List.of()
                : out.stream().map(StreamRecord::getValue).toList();
    }

    private static ActivationBatch batch(String runId, Site site, int width, int[] tokenIds, long docId) {
        Random random = new Random(docId * 31 + width);
        float[] values = new float[tokenIds.length * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (2 * random.nextGaussian());
        }
        long[] docs = new long[tokenIds.length];
        java.util.Arrays.fill(docs, docId);
        int[] positions = new int[tokenIds.length];
        for (int p = 0; p < positions.length; p++) {
            positions[p] = p;
        }
        return new ActivationBatch(
                runId, "test/model", site, width, ActivationDtype.F32, docs, positions, tokenIds, values);
    }

    private static StreamRecord<RawKafkaRecord> record(ActivationBatch batch, long offset) {
        try (ActivationBatchCodec codec = new ActivationBatchCodec()) {
            return new StreamRecord<>(new RawKafkaRecord("acts", 0, offset, codec.encode(batch)));
        }
    }

    private static float[] rows(ActivationBatch batch, int[] rows) {
        float[] x = new float[rows.length * batch.width()];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(batch.values(), rows[i] * batch.width(), x, i * batch.width(), batch.width());
        }
        return x;
    }
}
