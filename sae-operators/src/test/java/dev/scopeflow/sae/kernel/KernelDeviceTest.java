package dev.scopeflow.sae.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.pytorch.engine.PtEngine;
import dev.scopeflow.sae.TestingArrays;
import dev.scopeflow.schemas.ComputeDevice;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Which device a kernel runs on, and the errors for a device it cannot use. */
class KernelDeviceTest {

    private static final int D_IN = 37;
    private static final int D_SAE = 101;
    private static final int ROWS = 5;

    private final SplittableRandom random = new SplittableRandom(3);
    private final float[] w = TestingArrays.gaussian(random, D_IN * D_SAE, 1);
    private final float[] bias = TestingArrays.gaussian(random, D_SAE, 1);
    private final float[] x = TestingArrays.gaussian(random, ROWS * D_IN, 1);

    @Test
    void javaKernelRejectsCudaNamingTheOptionAndTheKernelThatCan() {
        assertThatThrownBy(() -> MatmulBackend.JAVA.create(w, bias, D_IN, D_SAE, ComputeDevice.CUDA))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--device cuda needs the TORCH encode kernel (--backend TORCH): the JAVA kernel runs on"
                        + " the CPU only");
        assertThatThrownBy(() -> MatmulBackend.JAVA.requireRunsOn(ComputeDevice.CUDA))
                .hasMessageStartingWith("--device cuda needs the TORCH encode kernel");
    }

    @Test
    void everyKernelComputesTheReferenceOnCpuAndAuto() {
        float[] expected = ReferenceEncoder.preActivations(x, ROWS, w, bias, D_IN, D_SAE);
        for (MatmulBackend backend : MatmulBackend.values()) {
            for (ComputeDevice device : new ComputeDevice[] {ComputeDevice.CPU, ComputeDevice.AUTO}) {
                assertPreActivations(backend, device, expected);
            }
        }
    }

    /**
     * Without a GPU (every CI machine: CPU natives on the classpath) CUDA fails when the kernel is created, naming
     * the option; with one (a {@code -Pcuda} build on a GPU machine) the same call must compute the reference.
     * Checked by making {@code TorchMatmul} ignore the device: this test then failed with no exception thrown.
     */
    @Test
    void torchKernelOnCudaFailsClearlyWithoutAGpuAndComputesTheReferenceWithOne() {
        if (PtEngine.getInstance().getGpuCount() == 0) {
            assertThatThrownBy(() -> MatmulBackend.TORCH.create(w, bias, D_IN, D_SAE, ComputeDevice.CUDA))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith(
                            "--device cuda: PyTorch " + PtEngine.getInstance().getVersion() + " sees no GPU");
        } else {
            assertPreActivations(
                    MatmulBackend.TORCH,
                    ComputeDevice.CUDA,
                    ReferenceEncoder.preActivations(x, ROWS, w, bias, D_IN, D_SAE));
        }
    }

    private void assertPreActivations(MatmulBackend backend, ComputeDevice device, float[] expected) {
        try (EncoderKernel kernel = backend.create(w, bias, D_IN, D_SAE, device)) {
            float[] actual = new float[ROWS * D_SAE];
            kernel.multiply(x, 0, ROWS, actual);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i])
                        .as("%s on %s: pre[%d]", backend, device, i)
                        .isCloseTo(expected[i], within(1e-4f));
            }
        }
    }
}
