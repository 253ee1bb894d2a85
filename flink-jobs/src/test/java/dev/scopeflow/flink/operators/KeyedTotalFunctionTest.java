package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.flink.types.SaeDownstream;
import dev.scopeflow.schemas.DownstreamSums;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Keyed totals: per-(run, site) progress and per-(run, SAE) downstream sums, summed, restored from a snapshot,
 * published at end of input.
 */
class KeyedTotalFunctionTest {

    @Test
    void sumsDeltasPerRunAndSiteAcrossARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var before = harness()) {
            before.open();
            before.processElement(new RunProgress("r1", "res.12", 1, 60, 0), 0);
            before.processElement(new RunProgress("r2", "res.12", 1, 0, 1), 0);
            before.processElement(new RunProgress("r1", "res.12", 1, 63, 0), 0);
            // Another job's site of the same run: its own total, never added to or replacing res.12's.
            before.processElement(new RunProgress("r1", "res.20", 1, 7, 0), 0);
            checkpoint = before.snapshot(1, 1);
        }
        try (var after = harness()) {
            after.initializeState(checkpoint);
            after.open();
            after.processElement(new RunProgress("r1", "res.12", 1, 0, 1), 2);
            after.processElement(new RunProgress("r2", "res.12", 1, 64, 0), 2);
            after.processElement(new RunProgress("r1", "res.20", 1, 9, 0), 2);
            after.processWatermark(Long.MAX_VALUE);

            List<RunProgress> out = after.extractOutputValues();
            assertThat(out)
                    .extracting(p -> p.runId + "@" + p.site + ":" + p.records + "/" + p.tokens + "/" + p.deadLetters)
                    .containsExactlyInAnyOrder("r1@res.12:3/123/1", "r1@res.20:2/16/0", "r2@res.12:2/64/1");
            assertThat(out).allSatisfy(p -> assertThat(p.version()).isEqualTo(p.records + p.tokens));
        }
    }

    @Test
    void sumsDownstreamWindowsPerRunAndSaeAcrossARestore() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var before = downstreamHarness()) {
            before.open();
            before.processElement(window("r", "a/16k", 5, 1.5), 0);
            before.processElement(window("r", "b", 3, 0.25), 0);
            checkpoint = before.snapshot(1, 1);
            // after the checkpoint: lost with the operator, so not in the restored total
            before.processElement(window("r", "a/16k", 100, 100), 0);
        }
        try (var after = downstreamHarness()) {
            after.initializeState(checkpoint);
            after.open();
            after.processElement(window("r", "a/16k", 7, 2.0), 1);
            after.processElement(window("r2", "a/16k", 1, 9.0), 1);
            after.processWatermark(Long.MAX_VALUE);
            assertThat(after.extractOutputValues())
                    .extracting(d -> d.runId + "/" + d.saeId + ":" + d.windows + "/" + d.nPredictions + "/" + d.sumCeSae
                            + "@" + d.version())
                    .containsExactlyInAnyOrder("r/a/16k:2/12/3.5@2", "r/b:1/3/0.25@1", "r2/a/16k:1/1/9.0@1");
        }
    }

    @Test
    void stateNamesStayWhatSavepointsHold() {
        assertThat(KeyedTotalFunction.stateName(RunProgress.class)).isEqualTo("run-progress");
        assertThat(KeyedTotalFunction.stateName(SaeDownstream.class)).isEqualTo("sae-downstream");
    }

    private static SaeDownstream window(String run, String sae, long predictions, double ceSae) {
        return new SaeDownstream(run, sae, "res.1", 1, new DownstreamSums(predictions, 1, ceSae, 2, 0.5, 0.75));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, SaeDownstream, SaeDownstream> downstreamHarness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new KeyedTotalFunction<>(SaeDownstream.class, 0)),
                SaeDownstream::key,
                Types.STRING);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, RunProgress, RunProgress> harness() throws Exception {
        // Not opened: a restoring test must initialize state first.
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new KeyedTotalFunction<>(RunProgress.class, 0)),
                RunProgress::key,
                Types.STRING);
    }
}
