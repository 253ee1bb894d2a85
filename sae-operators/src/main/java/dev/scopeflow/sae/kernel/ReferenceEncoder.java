package dev.scopeflow.sae.kernel;

/**
 * The plain, obviously-correct path that the fast kernels are tested against: textbook loops over the
 * weights exactly as stored in the files ({@code W_enc [dIn x dSae]}, {@code W_dec [dSae x dIn]}), no
 * blocking. Slow; for tests and for checking a new kernel.
 */
public final class ReferenceEncoder {

    private ReferenceEncoder() {}

    /** {@code x · wEnc + bEnc}, row-major {@code [rows x dSae]}, each sum accumulated in input order. */
    public static float[] preActivations(float[] x, int rows, float[] wEnc, float[] bEnc, int dIn, int dSae) {
        requireLength("x", x, (long) rows * dIn);
        requireLength("W_enc", wEnc, (long) dIn * dSae);
        requireLength("b_enc", bEnc, dSae);
        float[] pre = new float[rows * dSae];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dSae; j++) {
                float sum = 0f;
                for (int i = 0; i < dIn; i++) {
                    sum += x[r * dIn + i] * wEnc[i * dSae + j];
                }
                pre[r * dSae + j] = sum + bEnc[j];
            }
        }
        return pre;
    }

    /** JumpReLU: active where {@code pre > threshold} and the resulting activation {@code pre > 0}. */
    public static SparseCodes encodeJumpRelu(
            float[] x, int rows, float[] wEnc, float[] bEnc, float[] threshold, int dIn, int dSae) {
        requireLength("threshold", threshold, dSae);
        float[] pre = preActivations(x, rows, wEnc, bEnc, dIn, dSae);
        float[] acts = new float[pre.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dSae; j++) {
                float p = pre[r * dSae + j];
                acts[r * dSae + j] = p > threshold[j] ? p : 0f;
            }
        }
        return SparseCodes.fromDense(acts, rows, dSae);
    }

    /** ReLU: active where {@code pre > 0}. */
    public static SparseCodes encodeRelu(float[] x, int rows, float[] wEnc, float[] bEnc, int dIn, int dSae) {
        float[] pre = preActivations(x, rows, wEnc, bEnc, dIn, dSae);
        return SparseCodes.fromDense(pre, rows, dSae);
    }

    /**
     * TopK: per row, sort all features by pre-activation descending (ties: lower index first), keep the first
     * k, then those {@code > 0}.
     */
    public static SparseCodes encodeTopK(float[] x, int rows, float[] wEnc, float[] bEnc, int k, int dIn, int dSae) {
        float[] pre = preActivations(x, rows, wEnc, bEnc, dIn, dSae);
        float[] acts = new float[pre.length];
        for (int r = 0; r < rows; r++) {
            int base = r * dSae;
            Integer[] order = new Integer[dSae];
            for (int j = 0; j < dSae; j++) order[j] = j;
            java.util.Arrays.sort(order, (a, b) -> {
                float va = pre[base + a];
                float vb = pre[base + b];
                return va > vb ? -1 : va < vb ? 1 : Integer.compare(a, b);
            });
            for (int i = 0; i < Math.min(k, dSae); i++) {
                acts[base + order[i]] = pre[base + order[i]];
            }
        }
        return SparseCodes.fromDense(acts, rows, dSae);
    }

    /** {@code codes · wDec + bDec} computed densely over every feature, zeros included. */
    public static float[] decode(SparseCodes codes, float[] wDec, float[] bDec, int dIn) {
        int dSae = codes.dSae();
        requireLength("W_dec", wDec, (long) dSae * dIn);
        requireLength("b_dec", bDec, dIn);
        float[] dense = codes.toDense();
        float[] out = new float[codes.rows() * dIn];
        for (int r = 0; r < codes.rows(); r++) {
            for (int d = 0; d < dIn; d++) {
                float sum = 0f;
                for (int f = 0; f < dSae; f++) {
                    sum += dense[r * dSae + f] * wDec[f * dIn + d];
                }
                out[r * dIn + d] = sum + bDec[d];
            }
        }
        return out;
    }

    private static void requireLength(String name, float[] array, long expected) {
        if (array.length != expected) {
            throw new IllegalArgumentException(name + " has " + array.length + " values, expected " + expected);
        }
    }
}
