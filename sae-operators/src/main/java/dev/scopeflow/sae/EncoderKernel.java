package dev.scopeflow.sae;

/**
 * The encoder matmul {@code out = x · W + bias} over blocks of rows, the one hot loop of every SAE. Two
 * implementations, tested against each other and against {@link ReferenceEncoder}: {@link MatmulBackend#JAVA}
 * (plain Java, no native code) and {@link MatmulBackend#TORCH} (libtorch through DJL). A kernel owns a copy of W
 * in its own layout; {@link #close} frees it (native memory for TORCH). Safe to call from several threads.
 */
public interface EncoderKernel extends AutoCloseable {

    int dIn();

    int dOut();

    /** The most rows one {@link #multiply} call takes. */
    int maxRows();

    /**
     * Writes rows {@code [firstRow, firstRow + rows)} of {@code x · W + bias} into {@code out[0 .. rows*dOut)},
     * row-major; {@code x} is row-major {@code [* x dIn]} and {@code rows <= maxRows()}.
     */
    void multiply(float[] x, int firstRow, int rows, float[] out);

    @Override
    void close();
}
