package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ComputeDeviceTest {

    @Test
    void parsesEveryDeviceAsTheOptionSpellsIt() {
        for (ComputeDevice device : ComputeDevice.values()) {
            assertThat(ComputeDevice.parse(device.optionValue())).isEqualTo(device);
        }
        assertThat(ComputeDevice.parse(" CUDA ")).isEqualTo(ComputeDevice.CUDA);
        assertThat(ComputeDevice.CUDA.optionValue()).isEqualTo("cuda");
    }

    @Test
    void anUnknownDeviceNamesTheOptionAndTheChoices() {
        assertThatThrownBy(() -> ComputeDevice.parse("gpu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--device 'gpu' is not one of cpu, cuda, auto");
    }

    @Test
    void cudaWithoutAGpuFailsNamingTheOptionAndTheWayOut() {
        assertThatThrownBy(() -> ComputeDevice.CUDA.usesGpu(0, "PyTorch 2.7.1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("--device cuda: PyTorch 2.7.1 sees no GPU")
                .hasMessageContaining("-Pcuda")
                .hasMessageContaining("PYTORCH_LIBRARY_PATH");
    }

    @Test
    void autoUsesAGpuOnlyWhereOneIsSeenAndCpuNever() {
        assertThat(ComputeDevice.AUTO.usesGpu(0, "PyTorch")).isFalse();
        assertThat(ComputeDevice.AUTO.usesGpu(2, "PyTorch")).isTrue();
        assertThat(ComputeDevice.CUDA.usesGpu(1, "PyTorch")).isTrue();
        assertThat(ComputeDevice.CPU.usesGpu(1, "PyTorch")).isFalse();
    }
}
