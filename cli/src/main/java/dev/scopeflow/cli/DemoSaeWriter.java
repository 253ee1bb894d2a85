package dev.scopeflow.cli;

import dev.scopeflow.schemas.format.NpyArray;
import dev.scopeflow.schemas.format.NpzWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a random JumpReLU SAE in Gemma Scope's {@code params.npz} layout (float32, C order), so the demo
 * runs the real loading path without downloadable weights. Thresholds are spread so the demo shows dead,
 * rare and dense features side by side.
 */
final class DemoSaeWriter {

    private DemoSaeWriter() {}

    static void write(Path paramsNpz, int dIn, int dSae, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        float[] wEnc = new float[dIn * dSae];
        float[] wDec = new float[dSae * dIn];
        double scale = 1.0 / Math.sqrt(dIn);
        for (int i = 0; i < dIn; i++) {
            for (int f = 0; f < dSae; f++) {
                float w = (float) ((random.nextDouble() * 2 - 1) * Math.sqrt(3) * scale);
                wEnc[i * dSae + f] = w;
                wDec[f * dIn + i] = w;
            }
        }
        float[] bEnc = new float[dSae];
        float[] threshold = new float[dSae];
        for (int f = 0; f < dSae; f++) {
            // Pre-activations are roughly N(0, 1): most features fire on 0.02-7 % of tokens, every 50th is
            // dense and every 97th can never fire (dead).
            threshold[f] = (float) (1.5 + 2.0 * random.nextDouble());
            if (f % 50 == 0) {
                threshold[f] = 0.05f;
            }
            if (f % 97 == 0) {
                threshold[f] = 1e6f;
            }
        }
        float[] bDec = new float[dIn];
        Files.createDirectories(paramsNpz.getParent());
        NpzWriter.write(
                paramsNpz,
                List.of(
                        NpyArray.of("W_enc", new int[] {dIn, dSae}, wEnc),
                        NpyArray.of("W_dec", new int[] {dSae, dIn}, wDec),
                        NpyArray.of("b_enc", new int[] {dSae}, bEnc),
                        NpyArray.of("b_dec", new int[] {dIn}, bDec),
                        NpyArray.of("threshold", new int[] {dSae}, threshold)));
    }
}
