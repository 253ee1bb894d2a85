package dev.scopeflow.sae.kernel;

import java.util.function.Function;

/**
 * Whether libtorch (DJL's PyTorch engine) loads in this JVM, and its intra-op thread count. {@link
 * MatmulBackend#AUTO} asks {@link #availability()}, which probes once per JVM: the answer is a fact of the process
 * (its classpath and environment), so every encoder in it sees the same one and the natives load at most once.
 *
 * <p>The probe never downloads: DJL fetches libtorch from the internet when no natives are on the classpath, which on
 * an offline task manager hangs instead of failing. So libtorch counts as available only when the natives jar
 * ({@code pytorch-native-cpu}, recognised by its {@code native/lib/pytorch.properties}) is on the classpath or
 * {@code PYTORCH_LIBRARY_PATH} names an installed libtorch, and the engine then loads.
 */
public final class LibTorch {

    /** The resource the natives jar ships and DJL reads to find libtorch inside it. */
    static final String NATIVES_RESOURCE = "native/lib/pytorch.properties";

    static final String ENGINE_CLASS = "ai.djl.pytorch.engine.PtEngine";

    private LibTorch() {}

    /** Whether libtorch loaded, and where from or why not, in words for a log line or an error. */
    public record Availability(boolean loaded, String detail) {}

    /** This JVM's answer, probed on first use and kept. */
    public static Availability availability() {
        return Probed.AVAILABILITY;
    }

    /** The JVM-wide probe result; a holder class so that the probe runs once, on first use, thread-safely. */
    private static final class Probed {
        static final Availability AVAILABILITY = probe(LibTorch.class.getClassLoader(), System::getenv);
    }

    /**
     * Probes without caching: DJL's PyTorch engine on {@code loader}, then libtorch natives in {@code loader} or at
     * {@code PYTORCH_LIBRARY_PATH} (read through {@code env}, as DJL reads it: environment, then system property),
     * then loads the engine. Only the last step loads native code.
     */
    static Availability probe(ClassLoader loader, Function<String, String> env) {
        try {
            Class.forName(ENGINE_CLASS, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return new Availability(
                    false, "DJL's PyTorch engine (ai.djl.pytorch:pytorch-engine) is not on the classpath");
        }
        String libraryPath = env.apply("PYTORCH_LIBRARY_PATH");
        if (libraryPath == null) {
            libraryPath = System.getProperty("PYTORCH_LIBRARY_PATH");
        }
        boolean nativesJar = loader.getResource(NATIVES_RESOURCE) != null;
        if (!nativesJar && libraryPath == null) {
            return new Availability(
                    false,
                    "no libtorch natives: neither ai.djl.pytorch:pytorch-native-cpu on the classpath nor"
                            + " PYTORCH_LIBRARY_PATH set (DJL would try to download them)");
        }
        try {
            String version = TorchEngine.load();
            return new Availability(
                    true,
                    "libtorch " + version + " loaded from "
                            + (libraryPath != null ? "PYTORCH_LIBRARY_PATH " + libraryPath : "the natives jar"));
        } catch (RuntimeException | LinkageError e) {
            return new Availability(false, "libtorch failed to load: " + e);
        }
    }

    /**
     * Intra-op threads for each of {@code concurrentEncoders} encoders sharing {@code cores}: {@code max(1, cores /
     * concurrentEncoders)}, so that encoders × threads never exceeds the cores (except when there are more encoders
     * than cores, where each still needs one).
     */
    public static int threadBudget(int cores, int concurrentEncoders) {
        if (cores < 1 || concurrentEncoders < 1) {
            throw new IllegalArgumentException(
                    "cores and concurrent encoders must be >= 1, got " + cores + " and " + concurrentEncoders);
        }
        return Math.max(1, cores / concurrentEncoders);
    }

    /**
     * Sets libtorch's intra-op thread count ({@code torch.set_num_threads}, through DJL's {@code JniUtils}). libtorch
     * keeps the count process-wide and applies it to the calling thread's OpenMP/MKL pool at once and to other
     * threads on their next parallel op, so call it from the thread that will encode; every caller in a process
     * should pass the same count. Needs {@link #availability()} loaded.
     */
    public static void setIntraOpThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + threads);
        }
        requireLoaded();
        TorchEngine.setIntraOpThreads(threads);
    }

    /** libtorch's intra-op thread count as the calling thread sees it. Needs {@link #availability()} loaded. */
    public static int intraOpThreads() {
        requireLoaded();
        return TorchEngine.intraOpThreads();
    }

    private static void requireLoaded() {
        Availability torch = availability();
        if (!torch.loaded()) {
            throw new IllegalStateException("libtorch is not available in this JVM: " + torch.detail());
        }
    }
}
