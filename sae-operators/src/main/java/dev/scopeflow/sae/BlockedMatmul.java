package dev.scopeflow.sae;

/**
 * The encoder's fast path: {@code out = x · W + bias} for a block of rows, in plain Java.
 *
 * <p>W ({@code [dIn x dOut]}) is re-laid out as column panels of {@link #PANEL} outputs, each panel a
 * contiguous {@code [dIn x panelWidth]} block. The kernel keeps a {@code rows x panelWidth} accumulator tile in
 * L1 and, for each input dimension, adds {@code x[r,i] * W[i, panel]} to every row of the tile: an axpy over
 * contiguous memory, which C2 vectorises (a dot-product formulation would not be, because float reductions must
 * keep their order). Each panel row is reused by all rows of the block while it sits in L1.
 */
final class BlockedMatmul {

    /** Outputs per panel: 128 floats = 512 bytes of W per input dimension. */
    static final int PANEL = 128;
    /** Rows per call: 16 rows x 128 floats = 8 KiB accumulator tile. */
    static final int ROW_BLOCK = 16;

    private final int dIn;
    private final int dOut;
    private final float[] panels;
    private final float[] bias;

    /** {@code w} row-major {@code [dIn x dOut]} (read, not kept), {@code bias} length dOut (kept). */
    BlockedMatmul(float[] w, float[] bias, int dIn, int dOut) {
        if ((long) dIn * dOut != w.length || bias.length != dOut) {
            throw new IllegalArgumentException("W has " + w.length + " values, bias " + bias.length
                    + ", expected " + dIn + " x " + dOut + " and " + dOut);
        }
        this.dIn = dIn;
        this.dOut = dOut;
        this.bias = bias;
        this.panels = new float[w.length];
        for (int col0 = 0; col0 < dOut; col0 += PANEL) {
            int width = Math.min(PANEL, dOut - col0);
            int base = col0 * dIn;
            for (int i = 0; i < dIn; i++) {
                System.arraycopy(w, i * dOut + col0, panels, base + i * width, width);
            }
        }
    }

    int dIn() { return dIn; }

    int dOut() { return dOut; }

    /**
     * Writes rows {@code [firstRow, firstRow + rows)} of {@code x · W + bias} into {@code out[0 .. rows*dOut)},
     * row-major. {@code rows <= ROW_BLOCK}. {@code tile} is caller scratch of at least ROW_BLOCK * PANEL floats.
     */
    void multiply(float[] x, int firstRow, int rows, float[] out, float[] tile) {
        for (int col0 = 0; col0 < dOut; col0 += PANEL) {
            int width = Math.min(PANEL, dOut - col0);
            int panelBase = col0 * dIn;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(bias, col0, tile, r * width, width);
            }
            for (int i = 0; i < dIn; i++) {
                int wOff = panelBase + i * width;
                int xOff = firstRow * dIn + i;
                for (int r = 0; r < rows; r++) {
                    float a = x[xOff + r * dIn];
                    if (a == 0f) {
                        continue; // exact: adding 0 * w changes nothing for finite w
                    }
                    int tOff = r * width;
                    for (int j = 0; j < width; j++) {
                        tile[tOff + j] += a * panels[wOff + j];
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                System.arraycopy(tile, r * width, out, r * dOut + col0, width);
            }
        }
    }
}
