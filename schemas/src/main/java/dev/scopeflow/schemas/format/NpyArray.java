package dev.scopeflow.schemas.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One numpy array read from the {@code .npy} format, held as float32 in C (row-major) order whatever its
 * order and dtype on disk.
 *
 * <p>Reads header versions 1.0, 2.0 and 3.0; dtypes {@code f2 f4 f8} in either byte order, and the integer
 * and bool types widened to float32 (exact up to 2^24 in magnitude, rounded beyond). Fortran-order arrays are
 * transposed to C order on load. Data is decoded through a small buffer, never one byte[] of the whole
 * array, so the only size limit is a Java float[] (2^31 - 9 elements).
 */
public final class NpyArray {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int CHUNK_BYTES = 1 << 16;

    private final String name;
    private final int[] shape;
    private final String dtype;
    private final boolean fortranOrder;
    private final float[] data;

    private NpyArray(String name, int[] shape, String dtype, boolean fortranOrder, float[] data) {
        this.name = name;
        this.shape = shape;
        this.dtype = dtype;
        this.fortranOrder = fortranOrder;
        this.data = data;
    }

    /** Wraps values already in C order (for tests and writers); {@code data.length} must match the shape. */
    public static NpyArray of(String name, int[] shape, float[] data) {
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("array '" + name + "': shape " + Arrays.toString(shape) + " has " + n
                    + " elements, data has " + data.length);
        }
        return new NpyArray(name, shape.clone(), "<f4", false, data);
    }

    /** Reads a standalone {@code .npy} file; the array is named after the file without its extension. */
    public static NpyArray read(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        String arrayName = fileName.endsWith(".npy") ? fileName.substring(0, fileName.length() - 4) : fileName;
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, arrayName, file.toString());
        }
    }

    /**
     * A standalone {@code .npy} file's shape from its header alone, however large the array: lets a caller check
     * the shapes of several files against each other before loading any data.
     */
    public static int[] shape(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        String arrayName = fileName.endsWith(".npy") ? fileName.substring(0, fileName.length() - 4) : fileName;
        try (InputStream in = Files.newInputStream(file)) {
            return readHeader(in, arrayName, file.toString()).shape();
        }
    }

    /**
     * Reads one {@code .npy} stream to its end. {@code source} names where it came from (a file, or
     * {@code file.npz}) for error messages. Trailing bytes after the data are an error: they mean the header's
     * shape does not describe the data.
     */
    public static NpyArray read(InputStream in, String arrayName, String source) throws IOException {
        Header header = readHeader(in, arrayName, source);
        DtypeReader reader = DtypeReader.forDescr(header.descr, arrayName, source);
        long count = elementCount(header.shape);
        if (count > MAX_ELEMENTS) {
            throw FileFormatException.of(
                    source,
                    arrayName,
                    "shape " + Arrays.toString(header.shape) + " has " + count
                            + " elements, more than a Java array holds");
        }
        float[] raw = new float[(int) count];
        readElements(in, reader, raw, arrayName, source);
        if (in.read() != -1) {
            throw FileFormatException.of(
                    source,
                    arrayName,
                    "data is longer than shape " + Arrays.toString(header.shape) + " x " + reader.width
                            + " bytes (shape mismatch)");
        }
        float[] c = header.fortranOrder ? fortranToC(raw, header.shape) : raw;
        return new NpyArray(arrayName, header.shape, header.descr, header.fortranOrder, c);
    }

    public String name() {
        return name;
    }

    /** A copy of the shape; {@code []} for a 0-d array. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int size() {
        return data.length;
    }

    /** The numpy dtype descriptor as stored, e.g. {@code <f4}. */
    public String dtype() {
        return dtype;
    }

    /** Whether the file stored it in Fortran order (the data here is C order regardless). */
    public boolean wasFortranOrder() {
        return fortranOrder;
    }

    /** The values in C order. The backing array, not a copy: callers may take ownership but must not share it. */
    public float[] data() {
        return data;
    }

    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    @Override
    public String toString() {
        return "NpyArray{" + name + ", " + dtype + ", shape=" + Arrays.toString(shape)
                + (fortranOrder ? ", fortran" : "") + "}";
    }

    static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                return Long.MAX_VALUE; // callers only compare against int limits
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- header

    /** What a {@code .npy} header says; reading it consumes only the header bytes of the stream. */
    record Header(String descr, boolean fortranOrder, int[] shape) {}

    static Header readHeader(InputStream in, String arrayName, String source) throws IOException {
        byte[] prefix = new byte[8];
        int got = readFully(in, prefix, 0, prefix.length);
        if (got < 8 || !Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
            throw FileFormatException.of(
                    source,
                    arrayName,
                    "bad magic: not a .npy array (expected \\x93NUMPY, got " + printable(prefix, got) + ")");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        long headerLength;
        if (major == 1) {
            byte[] len = new byte[2];
            requireFully(in, len, arrayName, source, "header length");
            headerLength = (len[0] & 0xff) | ((len[1] & 0xff) << 8);
        } else if (major == 2 || major == 3) {
            byte[] len = new byte[4];
            requireFully(in, len, arrayName, source, "header length");
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        } else {
            throw FileFormatException.of(
                    source,
                    arrayName,
                    "unsupported .npy format version " + major + "." + minor + " (supported: 1.0, 2.0, 3.0)");
        }
        if (headerLength > 1 << 24) {
            throw FileFormatException.of(source, arrayName, "implausible header length " + headerLength);
        }
        byte[] headerBytes = new byte[(int) headerLength];
        requireFully(in, headerBytes, arrayName, source, "header");
        // Versions 1 and 2 promise latin1, version 3 utf8; the keys we read are ASCII either way.
        String text = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            Object parsed = new PyLiteralParser(text).parseTop();
            if (!(parsed instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("header is not a dict");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) m;
            dict = typed;
        } catch (IllegalArgumentException e) {
            throw FileFormatException.of(source, arrayName, "malformed header " + text.strip() + ": " + e.getMessage());
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shape = dict.get("shape");
        if (!(descr instanceof String descrString)) {
            throw FileFormatException.of(
                    source,
                    arrayName,
                    "unsupported dtype " + descr + " (structured or missing; supported: " + DtypeReader.SUPPORTED
                            + ")");
        }
        if (!(fortran instanceof Boolean fortranFlag)) {
            throw FileFormatException.of(source, arrayName, "header lacks a boolean fortran_order: " + text.strip());
        }
        if (!(shape instanceof List<?> dims)) {
            throw FileFormatException.of(source, arrayName, "header lacks a shape tuple: " + text.strip());
        }
        int[] shapeArray = new int[dims.size()];
        for (int i = 0; i < shapeArray.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw FileFormatException.of(source, arrayName, "bad shape " + dims);
            }
            shapeArray[i] = (int) (long) d;
        }
        return new Header(descrString, fortranFlag, shapeArray);
    }

    private static String printable(byte[] bytes, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xff;
            sb.append(b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return n == 0 ? "empty stream" : sb.toString();
    }

    // ---------------------------------------------------------------- data

    private static void readElements(InputStream in, DtypeReader reader, float[] out, String arrayName, String source)
            throws IOException {
        int width = reader.width;
        byte[] chunk = new byte[CHUNK_BYTES - CHUNK_BYTES % width];
        ByteBuffer buffer = ByteBuffer.wrap(chunk).order(reader.order);
        long expectedBytes = (long) out.length * width;
        int done = 0;
        while (done < out.length) {
            int want = (int) Math.min(chunk.length, (long) (out.length - done) * width);
            int got = readFully(in, chunk, 0, want);
            if (got < want) {
                long have = (long) done * width + got;
                throw FileFormatException.of(
                        source,
                        arrayName,
                        "truncated data: expected " + expectedBytes + " bytes for " + out.length + " x " + reader.descr
                                + ", got " + have);
            }
            buffer.clear();
            reader.decode(buffer, out, done, want / width);
            done += want / width;
        }
    }

    private static void requireFully(InputStream in, byte[] into, String arrayName, String source, String what)
            throws IOException {
        if (readFully(in, into, 0, into.length) < into.length) {
            throw FileFormatException.of(source, arrayName, "truncated " + what);
        }
    }

    /** Reads until {@code len} bytes or end of stream; returns how many arrived. */
    private static int readFully(InputStream in, byte[] into, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int n;
            try {
                n = in.read(into, off + total, len - total);
            } catch (EOFException e) {
                // Inflater streams over a cut zip report the end this way.
                break;
            }
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Decodes one numpy dtype into float32. */
    private static final class DtypeReader {
        static final String SUPPORTED = "f2 f4 f8 (either byte order), i1 i2 i4 i8 u1 u2 u4 u8 b1";

        final String descr;
        final char kind;
        final int width;
        final ByteOrder order;

        private DtypeReader(String descr, char kind, int width, ByteOrder order) {
            this.descr = descr;
            this.kind = kind;
            this.width = width;
            this.order = order;
        }

        static DtypeReader forDescr(String descr, String arrayName, String source) throws FileFormatException {
            if (descr.length() >= 3) {
                char byteOrder = descr.charAt(0);
                char kind = descr.charAt(1);
                int width;
                try {
                    width = Integer.parseInt(descr.substring(2));
                } catch (NumberFormatException e) {
                    width = -1;
                }
                boolean orderOk = byteOrder == '<' || byteOrder == '>' || byteOrder == '|';
                boolean kindOk = switch (kind) {
                    case 'f' -> width == 2 || width == 4 || width == 8;
                    case 'i', 'u' -> width == 1 || width == 2 || width == 4 || width == 8;
                    case 'b' -> width == 1;
                    default -> false;
                };
                // '|' (not applicable) is only meaningful for single bytes.
                if (orderOk && kindOk && (byteOrder != '|' || width == 1)) {
                    ByteOrder order = byteOrder == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
                    return new DtypeReader(descr, kind, width, order);
                }
            }
            throw FileFormatException.of(
                    source, arrayName, "unsupported dtype '" + descr + "' (supported: " + SUPPORTED + ")");
        }

        void decode(ByteBuffer in, float[] out, int off, int n) {
            switch (kind) {
                case 'f' -> {
                    if (width == 4) {
                        in.asFloatBuffer().get(out, off, n);
                    } else if (width == 8) {
                        for (int i = 0; i < n; i++) out[off + i] = (float) in.getDouble();
                    } else {
                        for (int i = 0; i < n; i++) out[off + i] = HalfFloats.f16ToFloat(in.getShort());
                    }
                }
                case 'i' -> {
                    switch (width) {
                        case 1 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.get();
                        }
                        case 2 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.getShort();
                        }
                        case 4 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.getInt();
                        }
                        default -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.getLong();
                        }
                    }
                }
                case 'u' -> {
                    switch (width) {
                        case 1 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.get() & 0xff;
                        }
                        case 2 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.getShort() & 0xffff;
                        }
                        case 4 -> {
                            for (int i = 0; i < n; i++) out[off + i] = in.getInt() & 0xffffffffL;
                        }
                        default -> {
                            for (int i = 0; i < n; i++) {
                                long v = in.getLong();
                                // Unsigned 64-bit: halve, convert, double (loses nothing float32 keeps).
                                out[off + i] = v >= 0 ? v : ((float) ((v >>> 1) | (v & 1))) * 2f;
                            }
                        }
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) out[off + i] = in.get() != 0 ? 1f : 0f;
                }
            }
        }
    }

    // ---------------------------------------------------------------- order

    /**
     * Fortran data of shape (d0..dn-1) is C data of the reversed shape; this transposes it back. Rank 2 uses a
     * cache-blocked transpose because that is what weight matrices are.
     */
    static float[] fortranToC(float[] f, int[] shape) {
        int rank = shape.length;
        if (rank <= 1 || f.length == 0) {
            return f;
        }
        float[] c = new float[f.length];
        if (rank == 2) {
            int rows = shape[0];
            int cols = shape[1];
            final int block = 64;
            for (int r0 = 0; r0 < rows; r0 += block) {
                int r1 = Math.min(rows, r0 + block);
                for (int c0 = 0; c0 < cols; c0 += block) {
                    int c1 = Math.min(cols, c0 + block);
                    for (int col = c0; col < c1; col++) {
                        int src = col * rows;
                        for (int r = r0; r < r1; r++) {
                            c[r * cols + col] = f[src + r];
                        }
                    }
                }
            }
            return c;
        }
        long[] fStride = new long[rank];
        long s = 1;
        for (int k = 0; k < rank; k++) {
            fStride[k] = s;
            s *= shape[k];
        }
        int[] index = new int[rank];
        int last = rank - 1;
        int lastDim = shape[last];
        long lastStride = fStride[last];
        int out = 0;
        while (out < c.length) {
            long base = 0;
            for (int k = 0; k < last; k++) {
                base += index[k] * fStride[k];
            }
            for (int i = 0; i < lastDim; i++) {
                c[out++] = f[(int) (base + i * lastStride)];
            }
            for (int k = last - 1; k >= 0; k--) {
                if (++index[k] < shape[k]) {
                    break;
                }
                index[k] = 0;
            }
        }
        return c;
    }

    // ---------------------------------------------------------------- header literal

    /** Parses the Python literal subset numpy writes in headers: dict, str, bool, int, tuple, list. */
    private static final class PyLiteralParser {
        private final String s;
        private int pos;

        PyLiteralParser(String s) {
            this.s = s;
        }

        Object parseTop() {
            Object value = parseValue();
            skipSpace();
            if (pos != s.length()) {
                throw new IllegalArgumentException("unexpected '" + s.charAt(pos) + "' at " + pos);
            }
            return value;
        }

        private Object parseValue() {
            skipSpace();
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char ch = s.charAt(pos);
            if (ch == '{') {
                return parseDict();
            }
            if (ch == '(' || ch == '[') {
                return parseSequence(ch == '(' ? ')' : ']');
            }
            if (ch == '\'' || ch == '"') {
                return parseString();
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (ch == '-' || Character.isDigit(ch)) {
                int start = pos++;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
                long v = Long.parseLong(s.substring(start, pos));
                if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) pos++; // Python 2 long
                return v;
            }
            throw new IllegalArgumentException("unexpected '" + ch + "' at " + pos);
        }

        private Map<String, Object> parseDict() {
            Map<String, Object> map = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    return map;
                }
                Object key = parseValue();
                skipSpace();
                expect(':');
                Object value = parseValue();
                map.put(String.valueOf(key), value);
                skipSpace();
                if (peek() == ',') pos++;
            }
        }

        private List<Object> parseSequence(char close) {
            List<Object> items = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == close) {
                    pos++;
                    return items;
                }
                items.add(parseValue());
                skipSpace();
                if (peek() == ',') pos++;
            }
        }

        private String parseString() {
            char quote = s.charAt(pos++);
            StringBuilder sb = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != quote) {
                char ch = s.charAt(pos++);
                if (ch == '\\' && pos < s.length()) ch = s.charAt(pos++);
                sb.append(ch);
            }
            expect(quote);
            return sb.toString();
        }

        private char peek() {
            if (pos >= s.length()) throw new IllegalArgumentException("unexpected end");
            return s.charAt(pos);
        }

        private void expect(char ch) {
            if (peek() != ch) throw new IllegalArgumentException("expected '" + ch + "' at " + pos);
            pos++;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }
    }
}
