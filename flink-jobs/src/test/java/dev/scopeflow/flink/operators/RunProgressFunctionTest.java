package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.types.RunProgress;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Per-(run, site) progress totals in keyed state: summed, restored from a snapshot, published at end of input. */
class RunProgressFunctionTest {

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

    private static KeyedOneInputStreamOperatorTestHarness<String, RunProgress, RunProgress> harness() throws Exception {
        // Not opened: a restoring test must initialize state first.
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new RunProgressFunction(0)), RunProgress::key, Types.STRING);
    }
}
