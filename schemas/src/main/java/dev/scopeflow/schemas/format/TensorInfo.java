package dev.scopeflow.schemas.format;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor lives: its safetensors dtype code (e.g. {@code BF16}), shape, file and absolute byte range.
 * Everything here comes from the header, so describing a checkpoint never touches its data.
 */
public record TensorInfo(String name, String dtype, long[] shape, Path file, long byteBegin, long byteEnd) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as ints (every safetensors dimension we accept fits one). */
    public int[] intShape() {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The dtype if this reader can widen it to float32; otherwise a clear error naming tensor and file. */
    public SafetensorsDtype readableDtype() throws FileFormatException {
        return SafetensorsDtype.parse(dtype)
                .orElseThrow(() -> new FileFormatException(file + ": tensor '" + name + "' has dtype " + dtype
                        + ", which is not supported (supported: F32, F16, BF16, F64)"));
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + file.getFileName();
    }
}
