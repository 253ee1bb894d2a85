package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** site_progress keeps the highest version per (run, site); what that must mean for jobs over the same records. */
class RunProgressTest {

    @Test
    void aViewThatDeadLetteredEveryRecordNeverOutranksOneThatCountedTokens() {
        RunProgress finished = new RunProgress("r", "res.20", 1264, 80_000, 0);
        RunProgress allDeadLettered = new RunProgress("r", "res.20", 1264, 0, 1264);
        assertThat(allDeadLettered.version()).isLessThan(finished.version());
    }

    @Test
    void versionGrowsWithEveryRecordAndAReplayWritesTheSameVersion() {
        RunProgress total = new RunProgress("r", "res.20", 0, 0, 0);
        long previous = total.version();
        for (RunProgress delta : new RunProgress[] {
            new RunProgress("r", "res.20", 1, 63, 0),
            new RunProgress("r", "res.20", 1, 0, 1),
            new RunProgress("r", "res.20", 1, 1, 0)
        }) {
            total = total.plus(delta);
            assertThat(total.version()).isGreaterThan(previous);
            previous = total.version();
        }
        RunProgress replay = new RunProgress("r", "res.20", 3, 64, 1);
        assertThat(replay.version()).isEqualTo(total.version()).isEqualTo(3 + 64);
    }

    @Test
    void jobsOfOneRunAtTwoSitesHaveTwoKeys() {
        RunProgress res12 = new RunProgress("r", "res.12", 10, 600, 0);
        RunProgress res20 = new RunProgress("r", "res.20", 10, 600, 0);
        assertThat(res12.key()).isNotEqualTo(res20.key());
        assertThat(res12.key()).isNotEqualTo(new RunProgress("r2", "res.12", 10, 600, 0).key());
        assertThat(res12.plus(new RunProgress("r", "res.12", 1, 5, 0)).site).isEqualTo("res.12");
    }
}
