package dev.scopeflow.benchmarks;

import dev.scopeflow.sae.analysis.LogitEffects;
import dev.scopeflow.sae.kernel.EncoderKernel;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.model.JumpReluSae;
import java.util.Locale;
import java.util.Random;

/**
 * Wall time of {@link LogitEffects#compute} for a 16k Gemma Scope-shaped SAE (d_in 2304 × d_sae 16384) over a
 * vocabulary of the given size, next to the bare kernel matmul of the same shape (what the top-k bookkeeping
 * costs on top). W_U rows are generated on the fly (xorshift uniforms), so no 2.4 GB matrix is held or read.
 * Run: {@code MAIN=dev.scopeflow.benchmarks.LogitEffectsTiming benchmarks/run.sh [vocab] [JAVA|TORCH]}.
 */
public final class LogitEffectsTiming {

    private LogitEffectsTiming() {}

    public static void main(String[] args) {
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 256_000;
        MatmulBackend backend = args.length > 1 ? MatmulBackend.valueOf(args[1]) : MatmulBackend.TORCH;
        int dIn = EncodeBenchmark.D_IN;
        int dSae = EncodeBenchmark.D_SAE;
        Random random = new Random(1);
        float[] wDec = EncodeBenchmark.gaussian(random, dSae * dIn, 0.02);
        LogitEffects.Unembedding wU = new GeneratedUnembedding(vocab, dIn);
        try (JumpReluSae sae = JumpReluSae.builder(dIn, dSae)
                .optBackend(MatmulBackend.JAVA)
                .setWEnc(new float[dIn * dSae])
                .setBEnc(new float[dSae])
                .setThreshold(new float[dSae])
                .setWDec(wDec.clone())
                .setBDec(new float[dIn])
                .build()) {
            long start = System.nanoTime();
            LogitEffects effects = LogitEffects.compute(sae, wU, LogitEffects.DEFAULT_K, backend);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "logit effects %s: d_sae %d x vocab %d x d_in %d in %.1f s "
                            + "(%.0f GFLOP/s); feature 0's top token %d%n",
                    backend,
                    dSae,
                    vocab,
                    dIn,
                    seconds,
                    flop(dSae, vocab, dIn) / seconds / 1e9,
                    effects.highestToken(0, 0));
        }
        // the same matmul with nothing done to its output
        float[] wDecT = new float[dIn * dSae];
        for (int f = 0; f < dSae; f++) {
            for (int d = 0; d < dIn; d++) {
                wDecT[d * dSae + f] = wDec[f * dIn + d];
            }
        }
        try (EncoderKernel kernel = backend.create(wDecT, new float[dSae], dIn, dSae)) {
            int block = kernel.maxRows();
            float[] rows = new float[block * dIn];
            float[] out = new float[block * dSae];
            long start = System.nanoTime();
            for (int t0 = 0; t0 < vocab; t0 += block) {
                int n = Math.min(block, vocab - t0);
                wU.read(t0, n, rows);
                kernel.multiply(rows, 0, n, out);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "bare matmul %s, same shape and W_U rows: %.1f s (%.0f GFLOP/s)%n",
                    backend,
                    seconds,
                    flop(dSae, vocab, dIn) / seconds / 1e9);
        }
    }

    private static double flop(int dSae, int vocab, int dIn) {
        return 2.0 * dSae * vocab * dIn;
    }

    /** Uniform rows in [-1, 1) from a per-token xorshift: deterministic, cheap, no storage. */
    private record GeneratedUnembedding(int vocab, int dIn) implements LogitEffects.Unembedding {
        @Override
        public void read(int firstToken, int count, float[] into) {
            for (int r = 0; r < count; r++) {
                long s = 0x9E3779B97F4A7C15L * (firstToken + r + 1);
                for (int d = 0; d < dIn; d++) {
                    s ^= s << 13;
                    s ^= s >>> 7;
                    s ^= s << 17;
                    into[r * dIn + d] = (s >>> 40) * 0x1p-23f - 1f;
                }
            }
        }
    }
}
