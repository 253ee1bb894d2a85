package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** run_progress keeps the highest version per run; what that must mean for two jobs over the same records. */
class RunProgressTest {

    @Test
    void aViewThatDeadLetteredEveryRecordNeverOutranksOneThatCountedTokens() {
        RunProgress finished = new RunProgress("r", 1264, 80_000, 0);
        RunProgress allDeadLettered = new RunProgress("r", 1264, 0, 1264);
        assertThat(allDeadLettered.version()).isLessThan(finished.version());
    }

    @Test
    void versionGrowsWithEveryRecordAndAReplayWritesTheSameVersion() {
        RunProgress total = new RunProgress("r", 0, 0, 0);
        long previous = total.version();
        for (RunProgress delta : new RunProgress[] {
            new RunProgress("r", 1, 63, 0), new RunProgress("r", 1, 0, 1), new RunProgress("r", 1, 1, 0)
        }) {
            total = total.plus(delta);
            assertThat(total.version()).isGreaterThan(previous);
            previous = total.version();
        }
        RunProgress replay = new RunProgress("r", 3, 64, 1);
        assertThat(replay.version()).isEqualTo(total.version()).isEqualTo(3 + 64);
    }
}
