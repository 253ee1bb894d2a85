package dev.scopeflow.sae.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Which kernel {@link MatmulBackend} resolves to with and without libtorch, the probe that decides it, and the
 * intra-op thread budget. This module's tests have DJL and the CPU natives on the classpath, so the JVM's own
 * answer is "loaded"; the "not available" answers come from the same probe on class loaders that hide the natives
 * or the engine.
 */
class LibTorchTest {

    private static final LibTorch.Availability MISSING = new LibTorch.Availability(false, "no natives (test)");

    @Test
    void libtorchLoadsHereSoAutoResolvesToTorch() {
        LibTorch.Availability torch = LibTorch.availability();
        assertThat(torch.loaded()).as(torch.detail()).isTrue();
        assertThat(torch.detail()).startsWith("libtorch 2.7.1").contains("natives jar");
        assertThat(MatmulBackend.AUTO.resolve()).isEqualTo(MatmulBackend.TORCH);
        assertThat(MatmulBackend.TORCH.resolve()).isEqualTo(MatmulBackend.TORCH);
        assertThat(MatmulBackend.JAVA.resolve()).isEqualTo(MatmulBackend.JAVA);
    }

    @Test
    void withoutLibtorchAutoFallsBackToJavaAndTorchIsAnErrorSayingWhy() {
        assertThat(MatmulBackend.AUTO.resolve(MISSING)).isEqualTo(MatmulBackend.JAVA);
        assertThat(MatmulBackend.JAVA.resolve(MISSING)).isEqualTo(MatmulBackend.JAVA);
        assertThatThrownBy(() -> MatmulBackend.TORCH.resolve(MISSING))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TORCH")
                .hasMessageContaining("no natives (test)")
                .hasMessageContaining("AUTO");
    }

    @Test
    void theProbeFindsNoNativesWhenTheNativesJarIsHiddenAndNoLibraryPathIsSet() {
        // The engine is already loaded in this JVM: were the natives check left out, the probe would answer
        // "loaded" here (checked by deleting the check once: this test then failed).
        ClassLoader withoutNatives = new ClassLoader(LibTorch.class.getClassLoader()) {
            @Override
            public URL getResource(String name) {
                return name.equals(LibTorch.NATIVES_RESOURCE) ? null : super.getResource(name);
            }
        };
        LibTorch.Availability torch = LibTorch.probe(withoutNatives, Map.<String, String>of()::get);
        assertThat(torch.loaded()).isFalse();
        assertThat(torch.detail()).contains("pytorch-native-cpu").contains("PYTORCH_LIBRARY_PATH");
        assertThat(MatmulBackend.AUTO.resolve(torch)).isEqualTo(MatmulBackend.JAVA);

        LibTorch.Availability fromLibraryPath =
                LibTorch.probe(withoutNatives, Map.of("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")::get);
        assertThat(fromLibraryPath.loaded()).isTrue();
        assertThat(fromLibraryPath.detail()).contains("PYTORCH_LIBRARY_PATH /opt/libtorch/lib");
    }

    @Test
    void theProbeFindsNoEngineWhereDjlIsNotOnTheClasspath() throws Exception {
        try (URLClassLoader bootstrapOnly = new URLClassLoader(new URL[0], null)) {
            LibTorch.Availability torch = LibTorch.probe(bootstrapOnly, Map.<String, String>of()::get);
            assertThat(torch.loaded()).isFalse();
            assertThat(torch.detail()).contains("pytorch-engine");
        }
    }

    @Test
    void theThreadBudgetSharesTheCoresWithoutOversubscribing() {
        assertThat(LibTorch.threadBudget(2, 2)).isEqualTo(1); // this machine: 2 cores, parallelism 2
        assertThat(LibTorch.threadBudget(2, 1)).isEqualTo(2);
        assertThat(LibTorch.threadBudget(16, 4)).isEqualTo(4);
        assertThat(LibTorch.threadBudget(16, 3)).isEqualTo(5); // 3 x 5 = 15 <= 16
        assertThat(LibTorch.threadBudget(2, 4)).isEqualTo(1); // more encoders than cores: one each
        for (int cores = 1; cores <= 64; cores++) {
            for (int encoders = 1; encoders <= cores; encoders++) {
                int threads = LibTorch.threadBudget(cores, encoders);
                assertThat(threads * encoders).isLessThanOrEqualTo(cores);
                assertThat((threads + 1) * encoders).isGreaterThan(cores);
            }
        }
        assertThatThrownBy(() -> LibTorch.threadBudget(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LibTorch.threadBudget(2, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LibTorch.setIntraOpThreads(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theThreadCountAppliesToTheCallingThreadAndToThreadsStartedLater() throws Exception {
        int before = LibTorch.intraOpThreads();
        int wanted = before == 1 ? 2 : 1; // differs from what threads had, so a no-op setter fails this test
        AtomicInteger onSetter = new AtomicInteger();
        AtomicInteger onLaterThread = new AtomicInteger();
        try {
            runOnNewThread(() -> {
                LibTorch.setIntraOpThreads(wanted);
                onSetter.set(LibTorch.intraOpThreads());
            });
            runOnNewThread(() -> onLaterThread.set(LibTorch.intraOpThreads()));
        } finally {
            LibTorch.setIntraOpThreads(before);
        }
        assertThat(onSetter.get()).isEqualTo(wanted);
        assertThat(onLaterThread.get()).isEqualTo(wanted);
    }

    private static void runOnNewThread(Runnable body) throws InterruptedException {
        Thread thread = new Thread(body);
        thread.start();
        thread.join();
    }
}
