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
import java.util.List;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.util.TestingTaskManagerRuntimeInfo;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encode operator alone, in Flink's operator harness (no cluster, no Kafka): which rows it encodes, with
 * which SAE, and what goes to the dead-letter and progress outputs.
 */
class SaeEncodeFunctionTest {

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
            assertThat(harness.getSideOutput(SaeEncodeFunction.DEAD_LETTERS)).isNullOrEmpty();
        }
    }

    @Test
    void undecodableAndWrongWidthRecordsBecomeDeadLettersAndTheOperatorGoesOn() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness = harness()) {
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("acts", 3, 41, new byte[] {1, 2, 3})));
            harness.processElement(record(batch(RUN, RES_3, D_IN + 1, new int[] {651, 576}, 8), 42));
            harness.processElement(record(batch(RUN, RES_3, D_IN, new int[] {2, 651}, 9), 43));

            List<DeadLetter> dead = harness.getSideOutput(SaeEncodeFunction.DEAD_LETTERS).stream()
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

            List<DeadLetter> dead = harness.getSideOutput(SaeEncodeFunction.DEAD_LETTERS).stream()
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

            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(progress(harness)).isEmpty();
            assertThat(harness.getSideOutput(SaeEncodeFunction.DEAD_LETTERS)).isNullOrEmpty();
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
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new SaeEncodeFunction(oneSae().optBackend(MatmulBackend.JAVA)
                                .optTorchThreads(3)
                                .build()))) {
            assertThat(LibTorch.intraOpThreads()).isEqualTo(other);
            ActivationBatch batch = batch(RUN, RES_3, D_IN, new int[] {651, 3922, 576}, 5);
            harness.processElement(record(batch, 1));
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
     * set it fails the caller's check (checked by removing the set in {@code SaeEncodeFunction.open} once).
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
                        new OneInputStreamOperatorTestHarness<>(
                                new ProcessOperator<>(new SaeEncodeFunction(config.build())), env)) {
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
        FeatureStatsJobConfig config = FeatureStatsJobConfig.builder()
                .setRunId(RUN)
                .addSae(resA)
                .addSae(resB)
                .build();
        return ProcessFunctionTestHarnesses.forProcessFunction(new SaeEncodeFunction(config));
    }

    private static List<RunProgress> progress(OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeCodesBatch> h) {
        var out = h.getSideOutput(SaeEncodeFunction.PROGRESS);
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
