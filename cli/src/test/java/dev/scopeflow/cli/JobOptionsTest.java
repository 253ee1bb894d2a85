package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.sae.kernel.MatmulBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The job's kernel options as {@code run-job} (and {@code run}, which shares {@link JobOptions}) parse them into the
 * job's config: AUTO by default, the libtorch thread budget left to each task manager unless set.
 */
class JobOptionsTest {

    private static FeatureStatsJobConfig parse(String... extra) {
        List<String> args = new ArrayList<>(List.of("--run-id", "r", "--sae", "a=res.1=/a.npz"));
        args.addAll(List.of(extra));
        RunJobCommand command = new RunJobCommand();
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        return command.job.config(command.runId).build();
    }

    @Test
    void theDefaultKernelIsAutoAndTheThreadBudgetComesFromEachTaskManager() {
        FeatureStatsJobConfig config = parse();
        assertThat(config.backend()).isEqualTo(MatmulBackend.AUTO);
        assertThat(config.torchThreads()).isZero();
        assertThat(config.taskManagerCores()).isZero();
    }

    @Test
    void kernelThreadsAndCoresAreSetByTheirOptions() {
        FeatureStatsJobConfig config = parse("--backend", "TORCH", "--torch-threads", "2", "--task-manager-cores", "6");
        assertThat(config.backend()).isEqualTo(MatmulBackend.TORCH);
        assertThat(config.torchThreads()).isEqualTo(2);
        assertThat(config.taskManagerCores()).isEqualTo(6);
        assertThat(parse("--backend", "JAVA").backend()).isEqualTo(MatmulBackend.JAVA);
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> parse("--backend", "GPU"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--backend")
                .hasMessageContaining("AUTO");
        assertThatThrownBy(() -> parse("--torch-threads", "-1")).hasMessageContaining("torch threads");
    }
}
