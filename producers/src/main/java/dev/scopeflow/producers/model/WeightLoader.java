package dev.scopeflow.producers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.scopeflow.schemas.format.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Copies checkpoint tensors into float32 NDArrays through one reusable off-heap staging buffer: each slice of
 * rows is widened from the memory-mapped file into the buffer, wrapped as an NDArray (DJL aliases direct buffers,
 * no copy) and copied into the destination tensor. Peak memory is therefore the f32 weights plus the buffer, and
 * tensors larger than 2 GiB (a 256k-row embedding in f32) load like any other.
 */
final class WeightLoader {

    static final int DEFAULT_STAGING_FLOATS = 8 << 20; // 32 MiB

    private final SafetensorsCheckpoint checkpoint;
    private final NDManager manager;
    private final int stagingFloats;
    private final ByteBuffer staging;

    WeightLoader(SafetensorsCheckpoint checkpoint, NDManager manager) {
        this(checkpoint, manager, DEFAULT_STAGING_FLOATS);
    }

    /** A small {@code stagingFloats} makes tests exercise the multi-slice path on tiny tensors. */
    WeightLoader(SafetensorsCheckpoint checkpoint, NDManager manager, int stagingFloats) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.stagingFloats = stagingFloats;
        this.staging = ByteBuffer.allocateDirect(stagingFloats * Float.BYTES).order(ByteOrder.nativeOrder());
    }

    /** One tensor, checked against the shape the config implies. */
    NDArray load(String name, long... expectedShape) {
        return loadStacked(List.of(name), expectedShape);
    }

    /**
     * Tensors stacked along their first axis into one NDArray (e.g. q, k and v projections into one matmul);
     * each must have the trailing shape of {@code stackedShape}.
     */
    NDArray loadStacked(List<String> names, long... stackedShape) {
        long rowElements = 1;
        for (int i = 1; i < stackedShape.length; i++) {
            rowElements *= stackedShape[i];
        }
        if (rowElements > stagingFloats) {
            throw new IllegalStateException("a row of " + names + " has " + rowElements + " elements, more than the "
                    + stagingFloats + "-float staging buffer");
        }
        long rows = 0;
        for (String name : names) {
            TensorInfo info = checkpoint.tensor(name);
            long[] shape = info.shape();
            long[] expectedTrailing = Arrays.copyOfRange(stackedShape, 1, stackedShape.length);
            if (shape.length != stackedShape.length
                    || !Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), expectedTrailing)) {
                throw new CheckpointException(info.file() + ": tensor '" + name + "' has shape "
                        + Arrays.toString(shape) + ", but config.json implies [*, " + joined(expectedTrailing) + "]");
            }
            rows += shape[0];
        }
        if (rows != stackedShape[0]) {
            throw new CheckpointException(checkpoint.directory() + ": tensors " + names + " have " + rows
                    + " rows in all, but config.json implies " + stackedShape[0] + " (shape "
                    + Arrays.toString(stackedShape) + ")");
        }
        NDArray target = manager.zeros(new Shape(stackedShape), DataType.FLOAT32);
        long targetRow = 0;
        long rowsPerSlice = stagingFloats / rowElements;
        for (String name : names) {
            TensorInfo info = checkpoint.tensor(name);
            long tensorRows = info.shape()[0];
            for (long row = 0; row < tensorRows; row += rowsPerSlice) {
                long sliceRows = Math.min(rowsPerSlice, tensorRows - row);
                int count = Math.toIntExact(sliceRows * rowElements);
                FloatBuffer floats = staging.clear().asFloatBuffer();
                floats.limit(count);
                checkpoint.read(info, row * rowElements, floats);
                long[] sliceShape = stackedShape.clone();
                sliceShape[0] = sliceRows;
                ByteBuffer bytes = staging.duplicate().order(ByteOrder.nativeOrder());
                bytes.position(0).limit(count * Float.BYTES);
                try (NDArray slice = manager.create(
                        bytes.slice().order(ByteOrder.nativeOrder()), new Shape(sliceShape), DataType.FLOAT32)) {
                    target.set(new NDIndex(targetRow + ":" + (targetRow + sliceRows)), slice);
                }
                targetRow += sliceRows;
            }
        }
        return target;
    }

    private static String joined(long[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return sb.toString();
    }
}
