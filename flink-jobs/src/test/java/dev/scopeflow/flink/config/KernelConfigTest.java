package dev.scopeflow.flink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.Site;
import org.apache.flink.util.InstantiationUtil;
import org.apache.flink.util.MultipleParameterTool;
import org.junit.jupiter.api.Test;

/**
 * The job's encode kernel and libtorch thread budget as the options set them, after the trip through the job graph
 * (Java serialization, as Flink ships the config to the task managers, where the kernel is resolved).
 */
class KernelConfigTest {

    private static FeatureStatsJobConfig.Builder oneSae() {
        return FeatureStatsJobConfig.builder().setRunId("r").addSae(new SaeSpec("a", Site.parse("res.1"), "/a.npz"));
    }

    private static FeatureStatsJobConfig shipped(FeatureStatsJobConfig config) throws Exception {
        return InstantiationUtil.clone(config, KernelConfigTest.class.getClassLoader());
    }

    @Test
    void theDefaultIsAutoWithTheBudgetTakenOnTheTaskManager() throws Exception {
        FeatureStatsJobConfig config = shipped(oneSae().build());
        assertThat(config.backend()).isEqualTo(MatmulBackend.AUTO);
        assertThat(config.torchThreads()).isZero();
        assertThat(config.taskManagerCores()).isZero();
        // The embedded runs here: 2 cores, parallelism 2 -> one thread per subtask.
        assertThat(config.torchThreadsPerSubtask(2, 2)).isEqualTo(1);
        assertThat(config.torchThreadsPerSubtask(2, 1)).isEqualTo(2);
        assertThat(config.torchThreadsPerSubtask(32, 4)).isEqualTo(8);
        assertThat(config.torchThreadsPerSubtask(32, 5)).isEqualTo(6);
        assertThat(config.torchThreadsPerSubtask(2, 4)).isEqualTo(1);
    }

    @Test
    void explicitThreadsOrCoresSurviveTheTripAndOverrideTheMachine() throws Exception {
        FeatureStatsJobConfig threads = shipped(
                oneSae().optBackend(MatmulBackend.TORCH).optTorchThreads(3).build());
        assertThat(threads.backend()).isEqualTo(MatmulBackend.TORCH);
        assertThat(threads.torchThreads()).isEqualTo(3);
        assertThat(threads.torchThreadsPerSubtask(64, 2)).isEqualTo(3);

        FeatureStatsJobConfig cores = shipped(oneSae().optTaskManagerCores(12).build());
        assertThat(cores.taskManagerCores()).isEqualTo(12);
        assertThat(cores.torchThreadsPerSubtask(64, 4)).isEqualTo(3); // 12 cores, not the 64 the machine has

        assertThat(shipped(oneSae().optBackend(MatmulBackend.JAVA).build()).backend())
                .isEqualTo(MatmulBackend.JAVA);
    }

    @Test
    void negativeThreadsOrCoresAreRejectedByName() {
        assertThatThrownBy(() -> oneSae().optTorchThreads(-1).build())
                .hasMessageContaining("torch threads")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> oneSae().optTaskManagerCores(-2).build())
                .hasMessageContaining("task manager cores")
                .hasMessageContaining("-2");
    }

    @Test
    void theJobJarsOptionsSetKernelThreadsAndCores() {
        String[] base = {"--run-id", "r", "--sae", "a=res.1=/a.npz"};
        FeatureStatsJobConfig defaults = FeatureStatsJobMain.config(MultipleParameterTool.fromArgs(base));
        assertThat(defaults.backend()).isEqualTo(MatmulBackend.AUTO);
        assertThat(defaults.torchThreads()).isZero();
        assertThat(defaults.taskManagerCores()).isZero();

        FeatureStatsJobConfig set = FeatureStatsJobMain.config(MultipleParameterTool.fromArgs(new String[] {
            "--run-id",
            "r",
            "--sae",
            "a=res.1=/a.npz",
            "--backend",
            "torch",
            "--torch-threads",
            "2",
            "--task-manager-cores",
            "8"
        }));
        assertThat(set.backend()).isEqualTo(MatmulBackend.TORCH);
        assertThat(set.torchThreads()).isEqualTo(2);
        assertThat(set.taskManagerCores()).isEqualTo(8);
        assertThat(FeatureStatsJobMain.config(MultipleParameterTool.fromArgs(
                                new String[] {"--run-id", "r", "--sae", "a=res.1=/a.npz", "--backend", "java"}))
                        .backend())
                .isEqualTo(MatmulBackend.JAVA);
    }
}
