package dev.scopeflow.sae.stats;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link BinaryWriter} wrote, failing with IllegalArgumentException naming the type and what is
 * wrong (bad magic, unknown version, truncation, trailing bytes, out-of-range values): corrupt state must never
 * deserialize into plausible numbers. Public for the bundles in other packages that frame these accumulators.
 */
public final class BinaryReader {

    private final byte[] buf;
    private final String type;
    private int pos;

    public BinaryReader(byte[] buf, String type) {
        this.buf = buf;
        this.type = type;
    }

    /** Checks magic and version; returns the version (only {@code version} itself is accepted). */
    public int expectHeader(int magic, int version) {
        return expectHeader(magic, version, version);
    }

    /** Checks magic and that the version is one this build reads, {@code oldest..newest}; returns it. */
    public int expectHeader(int magic, int oldest, int newest) {
        int gotMagic = readInt();
        if (gotMagic != magic) {
            throw corrupt(String.format("bad magic 0x%08x, expected 0x%08x", gotMagic, magic));
        }
        int gotVersion = readByte() & 0xff;
        if (gotVersion < oldest || gotVersion > newest) {
            throw corrupt("unsupported version " + gotVersion + " (this build reads "
                    + (oldest == newest ? String.valueOf(newest) : oldest + " to " + newest) + ")");
        }
        return gotVersion;
    }

    public byte readByte() {
        need(1);
        return buf[pos++];
    }

    public int readInt() {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (buf[pos++] & 0xff);
        }
        return v;
    }

    public long readLong() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xff);
        }
        return v;
    }

    public float readFloat() {
        return Float.intBitsToFloat(readInt());
    }

    public double readDouble() {
        return Double.longBitsToDouble(readLong());
    }

    public long readVarLong(String what) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = readByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) {
                    throw corrupt(what + " overflows");
                }
                return v;
            }
        }
        throw corrupt(what + " varint too long");
    }

    public int readVarIntInRange(String what, long min, long max) {
        long v = readVarLong(what);
        if (v < min || v > max) {
            throw corrupt(what + " " + v + " not in [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    public String readString(String what) {
        return new String(readBlob(what), StandardCharsets.UTF_8);
    }

    /** A varint length, then that many bytes (what {@link BinaryWriter#writeBlob} wrote). */
    public byte[] readBlob(String what) {
        int n = readVarIntInRange(what + " length", 0, buf.length - pos);
        byte[] blob = java.util.Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return blob;
    }

    public void expectEnd() {
        if (pos != buf.length) {
            throw corrupt((buf.length - pos) + " trailing bytes");
        }
    }

    public IllegalArgumentException corrupt(String problem) {
        return new IllegalArgumentException("corrupt " + type + " bytes at offset " + pos + ": " + problem);
    }

    private void need(int n) {
        if (pos + n > buf.length) {
            throw corrupt("truncated (need " + n + " more bytes, have " + (buf.length - pos) + ")");
        }
    }
}
