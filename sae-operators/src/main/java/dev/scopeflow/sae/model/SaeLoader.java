package dev.scopeflow.sae.model;

import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ComputeDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads an SAE from the path a user gives: a Gemma Scope {@code params.npz} or an SAELens directory. */
public final class SaeLoader {

    private SaeLoader() {}

    /**
     * A {@code .npz} file (or a directory holding {@code params.npz}) loads as a Gemma Scope JumpReLU SAE; a
     * directory with {@code cfg.json} as an SAELens SAE.
     */
    public static SparseAutoencoder load(Path path, MatmulBackend backend) throws IOException {
        return load(path, backend, ComputeDevice.CPU);
    }

    /** As {@link #load(Path, MatmulBackend)}, encoding on {@code device}. */
    public static SparseAutoencoder load(Path path, MatmulBackend backend, ComputeDevice device) throws IOException {
        return isSaeLens(path)
                ? SaeLensSae.load(path, backend, device)
                : JumpReluSae.loadGemmaScope(gemmaScopeNpz(path), backend, device);
    }

    /**
     * The architecture, d_in and d_sae of what {@link #load} would load, from the npz entries' {@code .npy}
     * headers or from cfg.json and the safetensors header: shapes are checked as loading checks them, but no
     * weights are read, so describing a 16k SAE costs a few kilobytes of I/O.
     */
    public static SaeDescription describe(Path path) throws IOException {
        return isSaeLens(path) ? SaeLensSae.describe(path) : JumpReluSae.describeGemmaScope(gemmaScopeNpz(path));
    }

    private static boolean isSaeLens(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("cfg.json"));
    }

    private static Path gemmaScopeNpz(Path path) throws SaeFormatException {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("params.npz"))) {
                return path.resolve("params.npz");
            }
            throw new SaeFormatException(path + ": neither an SAELens directory (cfg.json + sae_weights.safetensors)"
                    + " nor a Gemma Scope directory (params.npz)");
        }
        if (!Files.isRegularFile(path)) {
            throw new SaeFormatException(path + ": no such SAE file or directory");
        }
        return path;
    }
}
