package dev.scopeflow.producers.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Where the forward runs. CUDA needs a GPU and PyTorch CUDA natives on the classpath instead of the CPU ones. */
public enum ComputeDevice {
    CPU,
    CUDA,
    AUTO;

    public static ComputeDevice parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device '" + text + "' is not one of cpu, cuda, auto", e);
        }
    }

    /** The DJL device; CUDA fails clearly when PyTorch sees no GPU, AUTO falls back to the CPU. */
    Device resolve(Engine engine) {
        int gpus = engine.getGpuCount();
        return switch (this) {
            case CPU -> Device.cpu();
            case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
            case CUDA -> {
                if (gpus == 0) {
                    throw new IllegalStateException("device cuda requested, but PyTorch " + engine.getVersion()
                            + " sees no GPU (CUDA natives missing from the classpath, or no driver)");
                }
                yield Device.gpu();
            }
        };
    }
}
