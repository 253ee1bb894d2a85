package dev.scopeflow.sae.kernel;

import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtEngine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The calls into DJL's PyTorch engine that {@link LibTorch} makes, kept apart so that {@link LibTorch} itself loads
 * (and answers "not available") in a JVM without DJL: this class is only touched once the engine class is known to
 * be on the classpath.
 */
final class TorchEngine {

    private TorchEngine() {}

    /** Loads libtorch (once per JVM, DJL caches the engine) and returns its version. */
    static String load() {
        return Engine.getEngine(PtEngine.ENGINE_NAME).getVersion();
    }

    static void setIntraOpThreads(int threads) {
        JniUtils.setNumThreads(threads);
    }

    static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }
}
