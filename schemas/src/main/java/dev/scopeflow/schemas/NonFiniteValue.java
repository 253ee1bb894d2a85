package dev.scopeflow.schemas;

import java.util.Optional;

/**
 * The first NaN or ±Infinity in row-major activation rows, found before any statistic sees it: one bad value
 * would make every sum it enters NaN, so readers reject the record or file and name where the value is.
 */
public record NonFiniteValue(int row, int dimension, float value) {

    /** The first non-finite value among {@code rows} rows of {@code width} floats from {@code offset}. */
    public static Optional<NonFiniteValue> first(float[] values, int offset, int rows, int width) {
        int end = offset + rows * width;
        for (int i = offset; i < end; i++) {
            if (!Float.isFinite(values[i])) {
                return Optional.of(new NonFiniteValue((i - offset) / width, (i - offset) % width, values[i]));
            }
        }
        return Optional.empty();
    }
}
