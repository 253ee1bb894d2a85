package dev.scopeflow.sae.kernel;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtEngine;
import dev.scopeflow.schemas.ComputeDevice;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * {@link EncoderKernel} on libtorch: W lives in native memory transposed ({@code [dOut x dIn]}, the layout of
 * {@code torch.nn.functional.linear}, which fuses the bias add into the sgemm). Per call the input block is
 * copied in and the pre-activations are read straight out of the result tensor's native buffer.
 */
final class TorchMatmul implements EncoderKernel {

    /**
     * 1024 rows (64 MiB of pre-activations at d_sae 16384): sgemm repacks all of W on every call, which at 256 rows
     * cost ~15 % of a 2304 x 16384 encode here (4 x 256 rows vs 1 x 1024, measured on 2 threads).
     */
    static final int MAX_ROWS = 1024;

    /** The fewest rows one sgemm call gets; see {@link #preActivations}. */
    static final int MIN_CALL_ROWS = 16;

    private final int dIn;
    private final int dOut;
    private final NDManager manager;
    private final NDArray weightT;
    private final NDArray bias;

    TorchMatmul(float[] w, float[] bias, int dIn, int dOut, ComputeDevice device) {
        if ((long) dIn * dOut != w.length || bias.length != dOut) {
            throw new IllegalArgumentException("W has " + w.length + " values, bias " + bias.length + ", expected "
                    + dIn + " x " + dOut + " and " + dOut);
        }
        this.dIn = dIn;
        this.dOut = dOut;
        Engine engine = PtEngine.getInstance();
        Device on =
                device.usesGpu(engine.getGpuCount(), "PyTorch " + engine.getVersion()) ? Device.gpu() : Device.cpu();
        this.manager = NDManager.newBaseManager(on, PtEngine.ENGINE_NAME);
        this.weightT = manager.create(FloatBuffer.wrap(transpose(w, dIn, dOut)), new Shape(dOut, dIn));
        this.bias = manager.create(bias.clone());
    }

    /** {@code [rows x cols]} row-major to {@code [cols x rows]}, in tiles so both sides stay in cache. */
    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        final int tile = 64;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            for (int c0 = 0; c0 < cols; c0 += tile) {
                for (int r = r0; r < Math.min(rows, r0 + tile); r++) {
                    for (int c = c0; c < Math.min(cols, c0 + tile); c++) {
                        t[c * rows + r] = w[r * cols + c];
                    }
                }
            }
        }
        return t;
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public int dOut() {
        return dOut;
    }

    @Override
    public int maxRows() {
        return MAX_ROWS;
    }

    @Override
    public void multiply(float[] x, int firstRow, int rows, float[] out) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray pre = preActivations(scope, x, firstRow, rows);
            pre.toByteBuffer(true)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer()
                    .get(out, 0, rows * dOut);
        }
    }

    /**
     * Bias, compare and selection run inside libtorch on its threads; only the active entries come out. At L0 64
     * that is ~0.4 % of the block instead of all of it.
     */
    @Override
    public void appendAbove(float[] x, int firstRow, int rows, float[] activeAbove, SparseCodes.Builder codes) {
        if (activeAbove.length != dOut) {
            throw new IllegalArgumentException(
                    "activeAbove has " + activeAbove.length + " values, expected dOut " + dOut);
        }
        Selected active;
        try (NDManager scope = manager.newSubManager()) {
            NDArray pre = preActivations(scope, x, firstRow, rows);
            active = select(scope, pre, pre.gt(scope.create(activeAbove))); // [dOut] broadcasts over the rows
        }
        for (int r = 0, i = 0; r < rows; r++) {
            for (int end = active.end(r); i < end; i++) {
                codes.add(active.feature(i, r), active.values[i]);
            }
            codes.endRow();
        }
    }

    /**
     * {@code torch.topk} finds each row's k-th largest value; the candidates {@code >= } it come out (k of them
     * unless values tie at the k-th) and the tie rule is applied here: all above it, then the lowest features equal
     * to it until k are taken. Then ReLU, as in {@link TopKSelector}.
     */
    @Override
    public void appendTopK(float[] x, int firstRow, int rows, int k, SparseCodes.Builder codes) {
        if (k <= 0 || k > dOut) {
            throw new IllegalArgumentException("k must be in [1, " + dOut + "], got " + k);
        }
        Selected candidates;
        float[] kthLargest;
        try (NDManager scope = manager.newSubManager()) {
            NDArray pre = preActivations(scope, x, firstRow, rows);
            NDArray kth = pre.topK(k, 1, true, false).get(0).min(new int[] {1}, true); // [rows x 1]
            candidates = select(scope, pre, pre.gte(kth));
            kthLargest = kth.toFloatArray();
        }
        for (int r = 0, i = 0; r < rows; r++) {
            int end = candidates.end(r);
            int above = 0;
            for (int c = i; c < end; c++) {
                if (candidates.values[c] > kthLargest[r]) above++;
            }
            int tiesToTake = k - above;
            for (; i < end; i++) {
                float v = candidates.values[i];
                boolean chosen = v > kthLargest[r] || (v == kthLargest[r] && tiesToTake-- > 0);
                if (chosen && v > 0f) {
                    codes.add(candidates.feature(i, r), v);
                }
            }
            codes.endRow();
        }
    }

    /**
     * {@code x · W + bias} for the block, in {@code scope}. A block of fewer than {@link #MIN_CALL_ROWS} rows is
     * computed in a call of that many (zero rows below it), because MKL's sgemm computes a row differently in a call
     * of 1 to 3 rows (its matrix-vector and small-matrix paths): this way a row's bits never depend on the other rows
     * of its call, which lets callers group rows freely (EncoderKernelTest).
     */
    private NDArray preActivations(NDManager scope, float[] x, int firstRow, int rows) {
        if (rows <= 0 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("rows must be in [1, " + MAX_ROWS + "], got " + rows);
        }
        NDArray input;
        if (rows >= MIN_CALL_ROWS) {
            input = scope.create(FloatBuffer.wrap(x, firstRow * dIn, rows * dIn).slice(), new Shape(rows, dIn));
        } else {
            float[] padded = new float[MIN_CALL_ROWS * dIn];
            System.arraycopy(x, firstRow * dIn, padded, 0, rows * dIn);
            input = scope.create(padded, new Shape(MIN_CALL_ROWS, dIn));
        }
        NDArray pre = input.getNDArrayInternal().linear(input, weightT, bias).singletonOrThrow();
        return rows >= MIN_CALL_ROWS ? pre : pre.get(new NDIndex("0:" + rows));
    }

    /** The entries of {@code pre} where {@code mask} holds, copied out in row-major order. */
    private Selected select(NDManager scope, NDArray pre, NDArray mask) {
        NDArray flatIndices = mask.flatten().nonzero().flatten();
        return new Selected(
                flatIndices.toLongArray(),
                pre.flatten().take(scope, flatIndices).toFloatArray(),
                dOut);
    }

    /**
     * Selected entries of a block as flat indices {@code row * dOut + feature}, ascending ({@code nonzero} keeps
     * row-major order: rows in order, features ascending within a row), and their values.
     */
    private record Selected(long[] flatIndices, float[] values, int dOut) {

        /** One past the index of row {@code r}'s last entry (row r starts where row r - 1 ends). */
        int end(int r) {
            long rowEnd = (long) (r + 1) * dOut;
            int lo = 0;
            int hi = flatIndices.length;
            while (lo < hi) { // first index >= rowEnd
                int mid = (lo + hi) >>> 1;
                if (flatIndices[mid] < rowEnd) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }

        int feature(int i, int r) {
            return (int) (flatIndices[i] - (long) r * dOut);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
