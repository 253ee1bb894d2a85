package dev.scopeflow.sae.model;

import dev.scopeflow.sae.kernel.SparseCodes;

/**
 * A sparse autoencoder over activation vectors of width {@link #dIn()} with {@link #dSae()} features.
 * Implementations are immutable and safe to share between threads: scratch space is per call. Close an SAE
 * when done with it: a native encoder kernel holds W_enc outside the Java heap.
 */
public interface SparseAutoencoder extends AutoCloseable {

    int dIn();

    int dSae();

    /**
     * Encodes {@code rows} activation vectors, {@code x} row-major {@code [rows x dIn]}. A feature appears in
     * the result for a row exactly when its activation is {@code > 0}.
     */
    SparseCodes encode(float[] x, int rows);

    /** Reconstructs {@code [codes.rows() x dIn]} row-major from the active features only. */
    float[] decode(SparseCodes codes);

    /**
     * Copies decoder rows {@code W_dec[firstFeature .. firstFeature + count)} into {@code into[0 .. count*dIn)},
     * row-major: read-only access to the feature directions (e.g. for logit effects) without exposing W_dec.
     */
    void copyDecoderRows(int firstFeature, int count, float[] into);

    /** Frees what the encoder holds outside the Java heap, if anything. */
    @Override
    void close();
}
