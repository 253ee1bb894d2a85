package dev.scopeflow.sae;

/**
 * {@code codes · W_dec + b_dec} touching only the decoder rows of active features: each active feature adds
 * its contiguous W_dec row to the output row. Features are added in ascending order and the bias last, the
 * same order as {@link ReferenceEncoder#decode}, so the two agree bit for bit.
 *
 * <p>The axpy runs between two 0-based scratch rows (the W_dec row is copied first) for the reason given in
 * {@link BlockedMatmul}: JDK 17's SuperWord vectorises it only then (measured here on d_in 2304, L0 64:
 * ~2x faster than axpy straight from W_dec into the output at their offsets).
 */
final class SparseDecoder {

    private final float[] wDec;
    private final float[] bDec;
    private final int dSae;
    private final int dIn;

    /** {@code wDec} row-major {@code [dSae x dIn]}, {@code bDec} length dIn. */
    SparseDecoder(float[] wDec, float[] bDec, int dSae, int dIn) {
        if ((long) dSae * dIn != wDec.length || bDec.length != dIn) {
            throw new IllegalArgumentException("W_dec has " + wDec.length + " values, b_dec " + bDec.length
                    + ", expected " + dSae + " x " + dIn + " and " + dIn);
        }
        this.wDec = wDec;
        this.bDec = bDec;
        this.dSae = dSae;
        this.dIn = dIn;
    }

    /** See {@link SparseAutoencoder#copyDecoderRows}. */
    void copyRows(int firstFeature, int count, float[] into) {
        if (firstFeature < 0 || count < 0 || firstFeature > dSae - count) {
            throw new IndexOutOfBoundsException("decoder rows [" + firstFeature + ", " + (firstFeature + count)
                    + ") are outside [0, " + dSae + ")");
        }
        System.arraycopy(wDec, firstFeature * dIn, into, 0, count * dIn);
    }

    float[] decode(SparseCodes codes) {
        if (codes.dSae() != dSae) {
            throw new IllegalArgumentException("codes have d_sae " + codes.dSae() + ", this SAE has " + dSae);
        }
        int rows = codes.rows();
        float[] out = new float[Math.multiplyExact(rows, dIn)];
        float[] acc = new float[dIn];
        float[] wRow = new float[dIn];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int k = codes.start(r); k < codes.end(r); k++) {
                float a = codes.value(k);
                System.arraycopy(wDec, codes.feature(k) * dIn, wRow, 0, dIn);
                for (int d = 0; d < dIn; d++) {
                    acc[d] += a * wRow[d];
                }
            }
            for (int d = 0; d < dIn; d++) {
                acc[d] += bDec[d];
            }
            if (codes.hasOutputTransform()) {
                float scale = codes.outputScale(r);
                float shift = codes.outputShift(r);
                for (int d = 0; d < dIn; d++) {
                    acc[d] = acc[d] * scale + shift;
                }
            }
            System.arraycopy(acc, 0, out, r * dIn, dIn);
        }
        return out;
    }
}
