package dev.scopeflow.sae.kernel;

import dev.scopeflow.schemas.ComputeDevice;

/**
 * Which {@link EncoderKernel} an SAE encodes with: {@link #JAVA}, {@link #TORCH}, or {@link #AUTO}, whichever of the
 * two is fastest in this JVM. JAVA and TORCH compute the same f32 matmul; sums are accumulated in a different order,
 * so pre-activations agree to float rounding, not bit for bit.
 */
public enum MatmulBackend {
    /** Plain Java, cache-blocked and auto-vectorised; no native code (~20 GFLOP/s on 2 cores). */
    JAVA {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut, ComputeDevice device) {
            requireRunsOn(device);
            return new BlockedMatmul(w, bias, dIn, dOut);
        }

        @Override
        public void requireRunsOn(ComputeDevice device) {
            if (device == ComputeDevice.CUDA) {
                throw new IllegalArgumentException(ComputeDevice.OPTION + " cuda needs the TORCH encode kernel"
                        + " (--backend TORCH): the JAVA kernel runs on the CPU only");
            }
        }
    },
    /**
     * libtorch's multithreaded sgemm through DJL (~170 GFLOP/s on 2 cores). Needs DJL's {@code api},
     * {@code pytorch-engine}, {@code pytorch-jni} and {@code pytorch-native-cpu} on the classpath: they are
     * optional dependencies of sae-operators, so callers that pick TORCH declare them. Threads:
     * {@link LibTorch#setIntraOpThreads} or {@code -Dai.djl.pytorch.num_threads}. On {@link ComputeDevice#CUDA} the
     * weights live on the GPU and need the CUDA natives instead ({@code mvn -Pcuda}).
     */
    TORCH {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut, ComputeDevice device) {
            return new TorchMatmul(w, bias, dIn, dOut, device);
        }

        @Override
        public void requireRunsOn(ComputeDevice device) {
            // every device: whether a GPU is there is known only where the kernel is created (TorchMatmul)
        }
    },
    /** TORCH when libtorch loads in this JVM ({@link LibTorch#availability()}), else JAVA. */
    AUTO {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut, ComputeDevice device) {
            return resolve().create(w, bias, dIn, dOut, device);
        }

        @Override
        public void requireRunsOn(ComputeDevice device) {
            // decided where the kernel is made: on CUDA it must resolve to TORCH (JAVA's create says so)
        }
    };

    /** The kernel this choice encodes with in this JVM: JAVA or TORCH, never AUTO. */
    public MatmulBackend resolve() {
        return resolve(LibTorch.availability());
    }

    /**
     * The kernel this choice encodes with given whether libtorch is available: AUTO is TORCH exactly when it is;
     * TORCH without libtorch is an error that says why it is missing.
     */
    public MatmulBackend resolve(LibTorch.Availability torch) {
        return switch (this) {
            case JAVA -> JAVA;
            case AUTO -> torch.loaded() ? TORCH : JAVA;
            case TORCH -> {
                if (!torch.loaded()) {
                    throw new IllegalStateException("the TORCH encode kernel was requested but libtorch is not"
                            + " available: " + torch.detail() + "; choose AUTO (falls back to JAVA) or JAVA");
                }
                yield TORCH;
            }
        };
    }

    /**
     * A kernel for {@code x · W + bias} on the CPU; {@code w} row-major {@code [dIn x dOut]} is copied (not kept),
     * {@code bias} has length dOut.
     */
    public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut) {
        return create(w, bias, dIn, dOut, ComputeDevice.CPU);
    }

    /**
     * As {@link #create(float[], float[], int, int)}, on {@code device}: JAVA fails on CUDA, TORCH fails on CUDA
     * when PyTorch sees no GPU; AUTO is the GPU where TORCH sees one, else the CPU.
     */
    public abstract EncoderKernel create(float[] w, float[] bias, int dIn, int dOut, ComputeDevice device);

    /**
     * Fails when this kernel cannot run on {@code device} at all (JAVA on CUDA), so a command or a job config
     * rejects the combination before any weights are read.
     */
    public abstract void requireRunsOn(ComputeDevice device);
}
