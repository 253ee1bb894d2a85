package dev.scopeflow.sae.kernel;

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

    /**
     * Appends rows {@code [firstRow, firstRow + rows)} of {@code x · W + bias} to {@code codes} as sparse rows:
     * entry {@code (r, j)} is kept exactly when {@code pre[r, j] > activeAbove[j]}, features ascending, each row
     * ended. The kept values are the bits {@link #multiply} computes; {@code activeAbove} (length dOut, every
     * value {@code >= 0}) is how JumpReLU ({@code max(threshold, 0)}) and ReLU (0) say "active".
     *
     * <p>This default copies the dense block out and scans it; a native kernel overrides it to select inside the
     * native library, so only the active entries cross into Java.
     */
    default void appendAbove(float[] x, int firstRow, int rows, float[] activeAbove, SparseCodes.Builder codes) {
        int dOut = dOut();
        requireActiveAbove(activeAbove, dOut);
        float[] pre = new float[rows * dOut];
        multiply(x, firstRow, rows, pre);
        for (int r = 0; r < rows; r++) {
            int base = r * dOut;
            for (int j = 0; j < dOut; j++) {
                if (pre[base + j] > activeAbove[j]) {
                    codes.add(j, pre[base + j]);
                }
            }
            codes.endRow();
        }
    }

    /**
     * Appends rows {@code [firstRow, firstRow + rows)} of {@code x · W + bias} to {@code codes} as TopK codes: per
     * row the k largest entries, ties to the lower feature, then those {@code > 0}, features ascending, each row
     * ended. Values are the bits {@link #multiply} computes. This default selects in Java over the dense block
     * ({@link TopKSelector}); a native kernel overrides it to select inside the native library.
     */
    default void appendTopK(float[] x, int firstRow, int rows, int k, SparseCodes.Builder codes) {
        int dOut = dOut();
        float[] pre = new float[rows * dOut];
        multiply(x, firstRow, rows, pre);
        TopKSelector topK = new TopKSelector(k);
        for (int r = 0; r < rows; r++) {
            topK.selectInto(pre, r * dOut, dOut, codes);
            codes.endRow();
        }
    }

    private static void requireActiveAbove(float[] activeAbove, int dOut) {
        if (activeAbove.length != dOut) {
            throw new IllegalArgumentException(
                    "activeAbove has " + activeAbove.length + " values, expected dOut " + dOut);
        }
    }

    @Override
    void close();
}
