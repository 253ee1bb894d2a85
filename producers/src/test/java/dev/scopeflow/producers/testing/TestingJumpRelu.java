package dev.scopeflow.producers.testing;

import dev.scopeflow.producers.model.SiteReplacement;
import dev.scopeflow.schemas.format.NpzReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A Gemma Scope params.npz applied as {@code decode(encode(x))} in plain float32 loops: producers does not depend on
 * sae-operators (whose JumpReluSae the CLI splices in), so the model's splice is tested with this stand-in.
 * {@code f = pre > threshold ? pre : 0}, active when {@code f > 0}, {@code x̂ = f · W_dec + b_dec}.
 */
public final class TestingJumpRelu implements SiteReplacement {

    private final int dIn;
    private final int dSae;
    private final float[] wEnc;
    private final float[] bEnc;
    private final float[] threshold;
    private final float[] wDec;
    private final float[] bDec;

    public TestingJumpRelu(Path paramsNpz) {
        try (NpzReader npz = NpzReader.open(paramsNpz)) {
            int[] shape = npz.read("W_enc").shape();
            dIn = shape[0];
            dSae = shape[1];
            wEnc = npz.read("W_enc").data();
            bEnc = npz.read("b_enc").data();
            threshold = npz.read("threshold").data();
            wDec = npz.read("W_dec").data();
            bDec = npz.read("b_dec").data();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public float[] replace(float[] x, int rows) {
        float[] out = new float[rows * dIn];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(bDec, 0, out, r * dIn, dIn);
            for (int j = 0; j < dSae; j++) {
                float pre = bEnc[j];
                for (int i = 0; i < dIn; i++) {
                    pre += x[r * dIn + i] * wEnc[i * dSae + j];
                }
                if (pre > threshold[j] && pre > 0f) {
                    for (int i = 0; i < dIn; i++) {
                        out[r * dIn + i] += pre * wDec[j * dIn + i];
                    }
                }
            }
        }
        return out;
    }
}
