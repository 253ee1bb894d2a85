package dev.scopeflow.sae;

/**
 * A sparse autoencoder over activation vectors of width {@link #dIn()} with {@link #dSae()} features.
 * Implementations are immutable and safe to share between threads: scratch space is per call.
 */
public interface SparseAutoencoder {

    int dIn();

    int dSae();

    /**
     * Encodes {@code rows} activation vectors, {@code x} row-major {@code [rows x dIn]}. A feature appears in
     * the result for a row exactly when its activation is {@code > 0}.
     */
    SparseCodes encode(float[] x, int rows);

    /** Reconstructs {@code [codes.rows() x dIn]} row-major from the active features only. */
    float[] decode(SparseCodes codes);
}
