package dev.scopeflow.flink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.InstantiationUtil;
import org.apache.flink.util.MultipleParameterTool;
import org.junit.jupiter.api.Test;

/** The device the job's encode kernel runs on: its default, its checks and its trip to the task managers. */
class DeviceConfigTest {

    private static FeatureStatsJobConfig.Builder oneSae() {
        return FeatureStatsJobConfig.builder().setRunId("r").addSae(new SaeSpec("a", Site.parse("res.1"), "/a.npz"));
    }

    @Test
    void theKernelRunsOnTheCpuUnlessAsked() {
        assertThat(oneSae().build().device()).isEqualTo(ComputeDevice.CPU);
    }

    /**
     * The config reaches the task managers inside the operators, through Flink's Java serialization of them.
     * Checked by making the field transient: the shipped device then came back null instead of CUDA.
     */
    @Test
    void theDeviceSurvivesTheTripToTheTaskManagers() throws Exception {
        for (ComputeDevice device : ComputeDevice.values()) {
            FeatureStatsJobConfig config =
                    oneSae().optBackend(MatmulBackend.TORCH).optDevice(device).build();
            FeatureStatsJobConfig shipped = InstantiationUtil.clone(config, DeviceConfigTest.class.getClassLoader());
            assertThat(shipped.device()).isEqualTo(device);
            assertThat(shipped.backend()).isEqualTo(MatmulBackend.TORCH);
        }
    }

    @Test
    void cudaWithTheJavaKernelFailsBeforeTheJobStarts() {
        FeatureStatsJobConfig.Builder builder =
                oneSae().optBackend(MatmulBackend.JAVA).optDevice(ComputeDevice.CUDA);
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--device cuda needs the TORCH encode kernel");
        assertThat(oneSae().optBackend(MatmulBackend.JAVA)
                        .optDevice(ComputeDevice.AUTO)
                        .build()
                        .device())
                .isEqualTo(ComputeDevice.AUTO);
    }

    @Test
    void theJobsMainNamesABadDeviceBeforeItTouchesAnyService() {
        String[] args = {"--run-id", "r", "--sae", "a=res.1=/a.npz", "--device", "gpu"};
        assertThatThrownBy(() -> FeatureStatsJobMain.run(
                        StreamExecutionEnvironment.createLocalEnvironment(), MultipleParameterTool.fromArgs(args)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--device 'gpu' is not one of cpu, cuda, auto");
    }
}
