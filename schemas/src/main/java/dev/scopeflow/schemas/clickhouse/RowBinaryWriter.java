package dev.scopeflow.schemas.clickhouse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a body in ClickHouse's RowBinary format: values little-endian, strings as a LEB128 length and UTF-8
 * bytes, one row's columns after another with no separators. Supported on 18.16 and every later version.
 * The caller writes each row's values in the column order it passes to
 * {@link ClickHouseHttp#insertRowBinary}. Not thread-safe.
 */
public final class RowBinaryWriter {

    private ByteBuffer buffer;

    public RowBinaryWriter(int initialCapacity) {
        buffer = ByteBuffer.allocate(Math.max(64, initialCapacity)).order(ByteOrder.LITTLE_ENDIAN);
    }

    public RowBinaryWriter string(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        ensure(bytes.length + 5);
        leb128(bytes.length);
        buffer.put(bytes);
        return this;
    }

    /** An unsigned LEB128 length, as RowBinary prefixes strings and arrays with. */
    private void leb128(int n) {
        for (; ; n >>>= 7) {
            if ((n & ~0x7f) == 0) {
                buffer.put((byte) n);
                return;
            }
            buffer.put((byte) ((n & 0x7f) | 0x80));
        }
    }

    /** UInt32; {@code value} must be in [0, 2^32). */
    public RowBinaryWriter uint32(long value) {
        if (value < 0 || value > 0xffff_ffffL) {
            throw new IllegalArgumentException("UInt32 out of range: " + value);
        }
        ensure(4);
        buffer.putInt((int) value);
        return this;
    }

    /** UInt16; {@code value} must be in [0, 65536). */
    public RowBinaryWriter uint16(int value) {
        if (value < 0 || value > 0xffff) {
            throw new IllegalArgumentException("UInt16 out of range: " + value);
        }
        ensure(2);
        buffer.putShort((short) value);
        return this;
    }

    public RowBinaryWriter int32(int value) {
        ensure(4);
        buffer.putInt(value);
        return this;
    }

    public RowBinaryWriter int64(long value) {
        ensure(8);
        buffer.putLong(value);
        return this;
    }

    /** Array(Int32): a LEB128 element count, then the elements. */
    public RowBinaryWriter int32Array(int[] values) {
        ensure(5 + 4 * values.length);
        leb128(values.length);
        for (int v : values) {
            buffer.putInt(v);
        }
        return this;
    }

    /** Array(UInt32) of {@code values[0..length)}, each in [0, 2^32) as an int's unsigned bits. */
    public RowBinaryWriter uint32Array(int[] values, int length) {
        ensure(5 + 4 * length);
        leb128(length);
        for (int i = 0; i < length; i++) {
            buffer.putInt(values[i]);
        }
        return this;
    }

    /** Array(Float32) of {@code values[0..length)}. */
    public RowBinaryWriter float32Array(float[] values, int length) {
        ensure(5 + 4 * length);
        leb128(length);
        for (int i = 0; i < length; i++) {
            buffer.putFloat(values[i]);
        }
        return this;
    }

    /** Array(Float64). */
    public RowBinaryWriter float64Array(double[] values) {
        ensure(5 + 8 * values.length);
        leb128(values.length);
        for (double v : values) {
            buffer.putDouble(v);
        }
        return this;
    }

    /** UInt64 from a non-negative long. */
    public RowBinaryWriter uint64(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("UInt64 from a negative long: " + value);
        }
        ensure(8);
        buffer.putLong(value);
        return this;
    }

    public RowBinaryWriter float32(float value) {
        ensure(4);
        buffer.putFloat(value);
        return this;
    }

    public RowBinaryWriter float64(double value) {
        ensure(8);
        buffer.putDouble(value);
        return this;
    }

    /** Bytes written so far. */
    public int size() {
        return buffer.position();
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private void ensure(int more) {
        if (buffer.remaining() < more) {
            int capacity = Math.max(buffer.capacity() * 2, buffer.position() + more);
            ByteBuffer grown = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            buffer.flip();
            grown.put(buffer);
            buffer = grown;
        }
    }
}
