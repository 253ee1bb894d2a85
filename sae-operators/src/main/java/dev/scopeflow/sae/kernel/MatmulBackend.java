package dev.scopeflow.sae.kernel;

/**
 * Which {@link EncoderKernel} an SAE encodes with. Both compute the same f32 matmul; sums are accumulated in a
 * different order, so pre-activations agree to float rounding, not bit for bit.
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
     * {@code -Dai.djl.pytorch.num_threads}.
     */
    TORCH {
        @Override
        public EncoderKernel create(float[] w, float[] bias, int dIn, int dOut) {
            return new TorchMatmul(w, bias, dIn, dOut);
        }
    };

    /** TORCH when DJL's PyTorch engine is on the classpath, else JAVA. Loads no native code itself. */
    public static MatmulBackend fastestAvailable() {
        try {
            Class.forName("ai.djl.pytorch.engine.PtEngine", false, MatmulBackend.class.getClassLoader());
            return TORCH;
        } catch (ClassNotFoundException | LinkageError e) {
            return JAVA;
        }
    }

    /**
     * A kernel for {@code x · W + bias}; {@code w} row-major {@code [dIn x dOut]} is copied (not kept),
     * {@code bias} has length dOut.
     */
    public abstract EncoderKernel create(float[] w, float[] bias, int dIn, int dOut);
}
