package dev.scopeflow.sae.model;

import java.util.Arrays;

/** Up-front checks on weight arrays, with messages naming the source and the array. */
final class WeightChecks {

    private final String source;

    WeightChecks(String source) {
        this.source = source;
    }

    /** Present, {@code shape}-sized and finite everywhere; otherwise IllegalArgumentException. */
    void require(String name, float[] values, int... shape) {
        if (values == null) {
            throw new IllegalArgumentException(SaeFormatException.describe(source, name, "missing"));
        }
        long expected = 1;
        for (int d : shape) {
            expected *= d;
        }
        if (values.length != expected) {
            throw new IllegalArgumentException(SaeFormatException.describe(
                    source,
                    name,
                    "has " + values.length + " values, expected " + Arrays.toString(shape) + " = " + expected));
        }
        for (int k = 0; k < values.length; k++) {
            float v = values[k];
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                throw new IllegalArgumentException(SaeFormatException.describe(
                        source, name, "contains " + v + " at index " + Arrays.toString(unravel(k, shape))));
            }
        }
    }

    static int[] unravel(int flat, int[] shape) {
        int[] index = new int[shape.length];
        for (int k = shape.length - 1; k >= 0; k--) {
            index[k] = flat % shape[k];
            flat /= shape[k];
        }
        return index;
    }
}
