package dev.scopeflow.sae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads an SAE from the path a user gives: a Gemma Scope {@code params.npz} or an SAELens directory. */
public final class SaeLoader {

    private SaeLoader() {
    }

    /**
     * A {@code .npz} file (or a directory holding {@code params.npz}) loads as a Gemma Scope JumpReLU SAE; a
     * directory with {@code cfg.json} as an SAELens SAE.
     */
    public static SparseAutoencoder load(Path path, MatmulBackend backend) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("cfg.json"))) {
                return SaeLensSae.load(path, backend);
            }
            if (Files.isRegularFile(path.resolve("params.npz"))) {
                return JumpReluSae.loadGemmaScope(path.resolve("params.npz"), backend);
            }
            throw new SaeFormatException(path + ": neither an SAELens directory (cfg.json + sae_weights.safetensors)"
                    + " nor a Gemma Scope directory (params.npz)");
        }
        if (!Files.isRegularFile(path)) {
            throw new SaeFormatException(path + ": no such SAE file or directory");
        }
        return JumpReluSae.loadGemmaScope(path, backend);
    }
}
