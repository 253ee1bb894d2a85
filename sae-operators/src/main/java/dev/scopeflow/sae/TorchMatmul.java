package dev.scopeflow.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtEngine;
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

    private final int dIn;
    private final int dOut;
    private final NDManager manager;
    private final NDArray weightT;
    private final NDArray bias;

    TorchMatmul(float[] w, float[] bias, int dIn, int dOut) {
        if ((long) dIn * dOut != w.length || bias.length != dOut) {
            throw new IllegalArgumentException("W has " + w.length + " values, bias " + bias.length
                    + ", expected " + dIn + " x " + dOut + " and " + dOut);
        }
        this.dIn = dIn;
        this.dOut = dOut;
        this.manager = NDManager.newBaseManager(PtEngine.getInstance().defaultDevice(), PtEngine.ENGINE_NAME);
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
    public int dIn() { return dIn; }

    @Override
    public int dOut() { return dOut; }

    @Override
    public int maxRows() { return MAX_ROWS; }

    @Override
    public void multiply(float[] x, int firstRow, int rows, float[] out) {
        if (rows <= 0 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("rows must be in [1, " + MAX_ROWS + "], got " + rows);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(FloatBuffer.wrap(x, firstRow * dIn, rows * dIn).slice(),
                    new Shape(rows, dIn));
            NDArray pre = input.getNDArrayInternal().linear(input, weightT, bias).singletonOrThrow();
            pre.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out, 0, rows * dOut);
        }
    }

    /**
     * Bias, compare and selection run inside libtorch on its threads; only the active entries come out, as flat
     * indices into the block (ascending: {@code nonzero} keeps row-major order, hence rows in order and
     * features ascending within a row) and their values. At L0 64 that is ~0.4 % of the block instead of all of it.
     */
    @Override
    public void appendAbove(float[] x, int firstRow, int rows, float[] activeAbove, SparseCodes.Builder codes) {
        if (rows <= 0 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("rows must be in [1, " + MAX_ROWS + "], got " + rows);
        }
        if (activeAbove.length != dOut) {
            throw new IllegalArgumentException("activeAbove has " + activeAbove.length + " values, expected dOut "
                    + dOut);
        }
        long[] active;
        float[] values;
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(FloatBuffer.wrap(x, firstRow * dIn, rows * dIn).slice(),
                    new Shape(rows, dIn));
            NDArray pre = input.getNDArrayInternal().linear(input, weightT, bias).singletonOrThrow();
            NDArray isActive = pre.gt(scope.create(activeAbove)).flatten(); // [dOut] broadcasts over the rows
            NDArray flatIndices = isActive.nonzero().flatten();
            active = flatIndices.toLongArray();
            values = pre.flatten().take(scope, flatIndices).toFloatArray();
        }
        int k = 0;
        for (int r = 0; r < rows; r++) {
            long rowEnd = (long) (r + 1) * dOut;
            for (; k < active.length && active[k] < rowEnd; k++) {
                codes.add((int) (active[k] - (long) r * dOut), values[k]);
            }
            codes.endRow();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
