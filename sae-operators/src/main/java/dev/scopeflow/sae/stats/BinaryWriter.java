package dev.scopeflow.sae.stats;

import java.util.Arrays;

/**
 * Growable big-endian byte sink with LEB128 varints: the shared vocabulary of the state serializers. Public for
 * the bundles in other packages that frame these accumulators.
 */
public final class BinaryWriter {

    private byte[] buf;
    private int size;

    public BinaryWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public void writeByte(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    public void writeInt(int v) {
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
    }

    public void writeLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
    }

    public void writeFloat(float v) {
        writeInt(Float.floatToRawIntBits(v));
    }

    public void writeDouble(double v) {
        writeLong(Double.doubleToRawLongBits(v));
    }

    /** Unsigned LEB128; callers only write values >= 0. */
    public void writeVarLong(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("varint must be >= 0, got " + v);
        }
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    public void writeString(String s) {
        writeBlob(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A varint length, then the bytes: how a bundle embeds an accumulator's own versioned form. */
    public void writeBlob(byte[] blob) {
        writeVarLong(blob.length);
        ensure(blob.length);
        System.arraycopy(blob, 0, buf, size, blob.length);
        size += blob.length;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
