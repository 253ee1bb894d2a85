package dev.scopeflow.sae.analysis;

import dev.scopeflow.sae.kernel.EncoderKernel;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.model.SparseAutoencoder;
import java.util.Objects;

/**
 * Logit effects of SAE features: for every feature f, the k tokens with the highest and the k with the lowest
 * {@code W_dec[f] · W_U[t]}, the direct effect of the feature's decoder direction on each token's logit through
 * the unembedding W_U {@code [vocab x d_in]}. Ties go to the lower token id, so reruns list the same tokens.
 *
 * <p>The {@code d_sae x vocab} product is never held. W_U is read {@link EncoderKernel#maxRows()} tokens at a
 * time and multiplied against every decoder row by the backend's {@link EncoderKernel} over {@code W_decᵀ}
 * (bias 0); each feature keeps only its current k highest and k lowest, so memory is O(d_in · d_sae + d_sae · k)
 * whatever the vocabulary.
 */
public final class LogitEffects {

    public static final int DEFAULT_K = 10;

    /** Decoder rows transposed per step: bounds the scratch copy of W_dec rows. */
    private static final int FEATURE_BLOCK = 256;

    /** The unembedding W_U {@code [vocab x d_in]}, read a block of token rows at a time. */
    public interface Unembedding {

        int vocab();

        int dIn();

        /** Writes rows {@code [firstToken, firstToken + count)} of W_U into {@code into[0 .. count*dIn)}, row-major. */
        void read(int firstToken, int count, float[] into);

        /** A W_U already in memory, row-major {@code [vocab x dIn]} (read, not copied). */
        static Unembedding of(float[] wU, int vocab, int dIn) {
            if (vocab <= 0 || dIn <= 0 || (long) vocab * dIn != wU.length) {
                throw new IllegalArgumentException("W_U has " + wU.length + " values, expected vocab " + vocab
                        + " x hidden size " + dIn + " (both > 0)");
            }
            return new Unembedding() {
                @Override
                public int vocab() {
                    return vocab;
                }

                @Override
                public int dIn() {
                    return dIn;
                }

                @Override
                public void read(int firstToken, int count, float[] into) {
                    System.arraycopy(wU, firstToken * dIn, into, 0, count * dIn);
                }
            };
        }
    }

    private final int dSae;
    private final int vocab;
    private final int k;
    private final Ranking highest;
    /** The k lowest, kept as the k highest of the negated values: the same rule, ties to the lower id included. */
    private final Ranking lowest;

    private LogitEffects(int dSae, int vocab, int k, Ranking highest, Ranking lowest) {
        this.dSae = dSae;
        this.vocab = vocab;
        this.k = k;
        this.highest = highest;
        this.lowest = lowest;
    }

    /**
     * The k highest and k lowest {@code W_dec[f] · W_U[t]} of every feature, the block matmul on {@code backend}.
     * Fails if the SAE's d_in differs from the unembedding's hidden size, if k is outside {@code [1, vocab]}, or
     * if W_U holds NaN or an infinity (naming the token).
     */
    public static LogitEffects compute(SparseAutoencoder sae, Unembedding unembedding, int k, MatmulBackend backend) {
        Objects.requireNonNull(sae, "sae");
        Objects.requireNonNull(unembedding, "unembedding");
        Objects.requireNonNull(backend, "backend");
        int dIn = sae.dIn();
        int dSae = sae.dSae();
        int vocab = unembedding.vocab();
        if (unembedding.dIn() != dIn) {
            throw new IllegalArgumentException("width mismatch: the SAE has d_in " + dIn + " but the unembedding "
                    + "W_U [vocab " + vocab + " x hidden " + unembedding.dIn() + "] has hidden size "
                    + unembedding.dIn() + " (was the SAE trained on this model?)");
        }
        if (k <= 0 || k > vocab) {
            throw new IllegalArgumentException("k must be in [1, vocab " + vocab + "], got " + k);
        }
        Ranking highest = new Ranking(dSae, k);
        Ranking lowest = new Ranking(dSae, k);
        try (EncoderKernel kernel = backend.create(decoderTransposed(sae), new float[dSae], dIn, dSae)) {
            int block = kernel.maxRows();
            float[] rows = new float[block * dIn];
            float[] logits = new float[block * dSae];
            float[] highestAdmits = highest.admitAbove;
            float[] lowestAdmits = lowest.admitAbove;
            for (int t0 = 0; t0 < vocab; t0 += block) {
                int n = Math.min(block, vocab - t0);
                unembedding.read(t0, n, rows);
                requireFinite(rows, n, dIn, t0);
                kernel.multiply(rows, 0, n, logits);
                // tokens arrive in ascending id order: a value equal to a kept one ranks after it, so "strictly
                // above the k-th kept value" is the admission test and the tie rule at once
                for (int r = 0; r < n; r++) {
                    int token = t0 + r;
                    int base = r * dSae;
                    for (int f = 0; f < dSae; f++) {
                        float v = logits[base + f];
                        if (v > highestAdmits[f]) {
                            highest.insert(f, v, token);
                        }
                        if (-v > lowestAdmits[f]) {
                            lowest.insert(f, -v, token);
                        }
                    }
                }
            }
        }
        return new LogitEffects(dSae, vocab, k, highest, lowest);
    }

    /** {@code W_decᵀ [d_in x d_sae]}: the kernel's W, so that {@code W_U rows · W} gives one logit per feature. */
    private static float[] decoderTransposed(SparseAutoencoder sae) {
        int dIn = sae.dIn();
        int dSae = sae.dSae();
        float[] transposed = new float[Math.multiplyExact(dIn, dSae)];
        float[] rows = new float[Math.min(FEATURE_BLOCK, dSae) * dIn];
        for (int f0 = 0; f0 < dSae; f0 += FEATURE_BLOCK) {
            int n = Math.min(FEATURE_BLOCK, dSae - f0);
            sae.copyDecoderRows(f0, n, rows);
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < dIn; d++) {
                    transposed[d * dSae + f0 + i] = rows[i * dIn + d];
                }
            }
        }
        return transposed;
    }

    private static void requireFinite(float[] rows, int n, int dIn, int firstToken) {
        for (int i = 0; i < n * dIn; i++) {
            if (!Float.isFinite(rows[i])) {
                throw new IllegalArgumentException("W_U row of token " + (firstToken + i / dIn) + " contains " + rows[i]
                        + " at hidden index " + i % dIn);
            }
        }
    }

    public int dSae() {
        return dSae;
    }

    public int vocab() {
        return vocab;
    }

    /** Tokens listed per feature and direction. */
    public int k() {
        return k;
    }

    /** The token with the {@code rank}-th highest value for {@code feature} (rank 0 = highest). */
    public int highestToken(int feature, int rank) {
        return highest.tokens[highest.index(feature, rank)];
    }

    public float highestValue(int feature, int rank) {
        return highest.values[highest.index(feature, rank)];
    }

    /** The token with the {@code rank}-th lowest value for {@code feature} (rank 0 = lowest). */
    public int lowestToken(int feature, int rank) {
        return lowest.tokens[lowest.index(feature, rank)];
    }

    public float lowestValue(int feature, int rank) {
        return -lowest.values[lowest.index(feature, rank)];
    }

    /**
     * Per feature, the k largest values seen so far with their tokens, sorted descending (equal values in arrival
     * order, i.e. by token id). {@code admitAbove[f]} is what a new value must exceed to enter: -∞ until k are
     * kept, then the k-th. One sorted insertion is O(k) but rare: about k·ln(vocab/k) per feature.
     */
    private static final class Ranking {
        final int k;
        final int[] tokens;
        final float[] values;
        final int[] kept;
        final float[] admitAbove;

        Ranking(int dSae, int k) {
            this.k = k;
            this.tokens = new int[Math.multiplyExact(dSae, k)];
            this.values = new float[dSae * k];
            this.kept = new int[dSae];
            this.admitAbove = new float[dSae];
            java.util.Arrays.fill(admitAbove, Float.NEGATIVE_INFINITY);
        }

        void insert(int feature, float value, int token) {
            int base = feature * k;
            int n = kept[feature];
            int pos = n < k ? n : k - 1; // when full, the k-th is dropped
            while (pos > 0 && values[base + pos - 1] < value) {
                values[base + pos] = values[base + pos - 1];
                tokens[base + pos] = tokens[base + pos - 1];
                pos--;
            }
            values[base + pos] = value;
            tokens[base + pos] = token;
            if (n < k) {
                kept[feature] = ++n;
            }
            if (n == k) {
                admitAbove[feature] = values[base + k - 1];
            }
        }

        int index(int feature, int rank) {
            if (rank < 0 || rank >= k || feature < 0 || feature >= kept.length) {
                throw new IndexOutOfBoundsException(
                        "feature " + feature + ", rank " + rank + " outside d_sae " + kept.length + " x k " + k);
            }
            return feature * k + rank;
        }
    }
}
