package dev.scopeflow.schemas.format;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one {@code .npy} file (format 1.0, C order, little-endian) incrementally: the header first, then values
 * as they come, so a [n_sequences, seq_len, width] array never has to be in memory at once. {@link #close()}
 * fails if fewer values were written than the shape promises.
 */
public final class NpyWriter implements AutoCloseable {

    /** The file, or the npz entry, for error messages. */
    private final String target;

    private final OutputStream out;
    private final long expected;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private final int elementBytes;
    private long written;

    private NpyWriter(String target, OutputStream out, String descr, int elementBytes, long[] shape) {
        this.target = target;
        this.out = out;
        this.elementBytes = elementBytes;
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(target + ": negative dimension in shape");
            }
            n = Math.multiplyExact(n, d);
        }
        this.expected = n;
        try {
            out.write(header(descr, shape));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    public static NpyWriter float32(Path file, long... shape) {
        return new NpyWriter(file.toString(), newFile(file), "<f4", 4, shape);
    }

    public static NpyWriter int64(Path file, long... shape) {
        return new NpyWriter(file.toString(), newFile(file), "<i8", 8, shape);
    }

    /** A float32 array written to {@code out}, which {@link #close()} closes; {@code target} names it in errors. */
    static NpyWriter float32(String target, OutputStream out, long... shape) {
        return new NpyWriter(target, out, "<f4", 4, shape);
    }

    private static OutputStream newFile(Path file) {
        try {
            return new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Writes a whole float32 array in one call. */
    public static void writeFloat32(Path file, float[] values, long... shape) {
        try (NpyWriter w = float32(file, shape)) {
            w.write(values, 0, values.length);
        }
    }

    /** Format 1.0: magic, version, little-endian header length, a Python dict literal padded to 64 bytes. */
    static byte[] header(String descr, long[] shape) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1
                ? "(" + shape[0] + ",)"
                : "(" + (dims.length() == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        byte[] text = (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer header = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        header.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        header.putShort((short) text.length).put(text);
        return header.array();
    }

    public void write(float[] values, int offset, int length) {
        requireType(4);
        for (int i = 0; i < length; i++) {
            ensureRoom();
            buffer.putFloat(values[offset + i]);
        }
    }

    /** Appends {@code count} zeros (padding). */
    public void writeZeros(long count) {
        for (long i = 0; i < count; i++) {
            ensureRoom();
            if (elementBytes == 4) {
                buffer.putFloat(0f);
            } else {
                buffer.putLong(0L);
            }
        }
    }

    public void write(long value) {
        requireType(8);
        ensureRoom();
        buffer.putLong(value);
    }

    private void requireType(int bytes) {
        if (bytes != elementBytes) {
            throw new IllegalStateException(target + " holds " + elementBytes + "-byte elements");
        }
    }

    private void ensureRoom() {
        if (++written > expected) {
            throw new IllegalStateException(target + ": more values written than its shape holds (" + expected + ")");
        }
        if (buffer.remaining() < elementBytes) {
            drain();
        }
    }

    private void drain() {
        try {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    @Override
    public void close() {
        try {
            drain();
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        if (written != expected) {
            throw new IllegalStateException(target + ": wrote " + written + " values, the shape needs " + expected);
        }
    }
}
