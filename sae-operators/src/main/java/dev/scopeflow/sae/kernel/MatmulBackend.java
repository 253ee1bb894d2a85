package dev.scopeflow.sae.kernel;

/**
 * Which {@link EncoderKernel} an SAE encodes with: {@link #JAVA}, {@link #TORCH}, or {@link #AUTO}, whichever of the
 * two is fastest in this JVM. JAVA and TORCH compute the same f32 matmul; sums are accumulated in a different order,
 * so pre-activations agree to float rounding, not bit for bit.
 */
public enum MatmulBackend {
    /** Plain Java, cache-blocked and auto-vectorised; no native code (~20 GFLOP/s on 2 cores). */
    JAVA {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut) {
            return new BlockedMatmul(w, bias, dIn, dOut);
        }
    },
    /**
     * libtorch's multithreaded sgemm through DJL (~170 GFLOP/s on 2 cores). Needs DJL's {@code api},
     * {@code pytorch-engine}, {@code pytorch-jni} and {@code pytorch-native-cpu} on the classpath: they are
     * optional dependencies of sae-operators, so callers that pick TORCH declare them. Threads:
     * {@link LibTorch#setIntraOpThreads} or {@code -Dai.djl.pytorch.num_threads}.
     */
    TORCH {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut) {
            return new TorchMatmul(w, bias, dIn, dOut);
        }
    },
    /** TORCH when libtorch loads in this JVM ({@link LibTorch#availability()}), else JAVA. */
    AUTO {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut) {
            return resolve().create(w, bias, dIn, dOut);
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
     * A kernel for {@code x · W + bias}; {@code w} row-major {@code [dIn x dOut]} is copied (not kept),
     * {@code bias} has length dOut.
     */
    public abstract EncoderKernel create(float[] w, float[] bias, int dIn, int dOut);
}
