package dev.scopeflow.sae;

import dev.scopeflow.schemas.format.PythonFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs src/test/resources/dev/scopeflow/sae/fixtures.py (python3 + numpy) and reads its raw outputs. */
public final class NumpyFixtures {

    private NumpyFixtures() {}

    /** {@code python3 fixtures.py <mode> <dir> <args...>}; returns {@code dir}. Fails the test on any error. */
    public static Path generate(Path dir, String mode, Object... args) throws IOException, InterruptedException {
        return PythonFixtures.run(NumpyFixtures.class.getResource("fixtures.py"), dir, mode, args);
    }

    public static float[] f32(Path file) throws IOException {
        return PythonFixtures.f32(file);
    }

    public static double[] f64(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(out);
        return out;
    }

    public static long[] i64(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    /** |actual - expected| <= rel * max(|expected|, scale) element-wise, with the index in the failure. */
    /** Bit-for-bit equality that reports the first differing index instead of printing both arrays. */
    public static void assertSameBits(float[] actual, float[] expected, String what) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToIntBits(actual[i]) != Float.floatToIntBits(expected[i])) {
                throw new AssertionError(what + "[" + i + "]: " + actual[i] + " != " + expected[i]);
            }
        }
    }

    public static void assertClose(float[] actual, float[] expected, double rel, double scale, String what) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            double tolerance = rel * Math.max(Math.abs(expected[i]), scale);
            if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
                throw new AssertionError(
                        what + "[" + i + "]: " + actual[i] + " != " + expected[i] + " (tol " + tolerance + ")");
            }
        }
    }

    public static void assertClose(double[] actual, double[] expected, double rel, double scale, String what) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            double tolerance = rel * Math.max(Math.abs(expected[i]), scale);
            if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
                throw new AssertionError(
                        what + "[" + i + "]: " + actual[i] + " != " + expected[i] + " (tol " + tolerance + ")");
            }
        }
    }
}
