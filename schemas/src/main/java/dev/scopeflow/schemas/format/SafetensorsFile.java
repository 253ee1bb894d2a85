package dev.scopeflow.schemas.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header, then raw little-endian
 * tensor data. The header is validated when the file is opened (every tensor's byte range must lie inside the
 * file and match its shape), so {@link #tensors()} describes the file without reading any data. Tensor data is
 * read a window at a time into one reusable buffer and widened to float32 (F32, F16, BF16, F64) into the caller's
 * buffer, so reading never holds more than the caller asks for plus the window, and tensors may exceed 2 GiB. Reads
 * rather than memory maps: mapped file pages count in the process's resident memory until the mapping is
 * collected, which kept a loaded checkpoint's file resident beside its float32 weights (issue 14). DJL crashes on
 * BF16, which is why this reader exists at all.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final long MAX_HEADER_BYTES = 100L << 20;
    /** Bytes read at once: a multiple of every element size. */
    static final int DEFAULT_WINDOW_BYTES = 8 << 20;

    private final Path file;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final int windowBytes;
    /** Reused by every {@link #read} (which is synchronized), allocated at the first. */
    private ByteBuffer window;

    private SafetensorsFile(
            Path file,
            FileChannel channel,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata,
            int windowBytes) {
        this.file = file;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
        this.windowBytes = windowBytes;
    }

    /** Opens the file and validates its header; format problems are {@link FileFormatException}s naming the file. */
    public static SafetensorsFile open(Path file) throws IOException {
        return open(file, DEFAULT_WINDOW_BYTES);
    }

    /** As {@link #open(Path)}, reading {@code windowBytes} (a multiple of 8) at a time: tests use small windows. */
    static SafetensorsFile open(Path file, int windowBytes) throws IOException {
        if (windowBytes <= 0 || windowBytes % 8 != 0) {
            throw new IllegalArgumentException("window of " + windowBytes + " bytes: must be a positive multiple of 8");
        }
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file + ": safetensors file does not exist");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            long headerLength = headerLength(file, channel, size);
            JsonNode header = header(file, channel, headerLength);
            long dataStart = 8 + headerLength;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> field : header.properties()) {
                if (field.getKey().equals("__metadata__")) {
                    field.getValue()
                            .properties()
                            .forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                } else {
                    tensors.put(
                            field.getKey(),
                            tensorInfo(file, field.getKey(), field.getValue(), dataStart, size - dataStart));
                }
            }
            return new SafetensorsFile(
                    file,
                    channel,
                    Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata),
                    windowBytes);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static long headerLength(Path file, FileChannel channel, long size) throws IOException {
        if (size < 8) {
            throw new FileFormatException(file + ": corrupt safetensors header: file has only " + size + " bytes");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 1 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
            throw new FileFormatException(file + ": corrupt safetensors header: header length " + headerLength
                    + " does not fit a file of " + size + " bytes (not a safetensors file, or truncated)");
        }
        return headerLength;
    }

    private static JsonNode header(Path file, FileChannel channel, long headerLength) throws IOException {
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(file, channel, headerBytes, 8);
        JsonNode header;
        try {
            header = Json.parse(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new FileFormatException(
                    file + ": corrupt safetensors header: invalid JSON (" + Json.problem(e) + ")", e);
        }
        if (header == null || !header.isObject()) {
            throw new FileFormatException(file + ": corrupt safetensors header: not a JSON object");
        }
        return header;
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode entry, long dataStart, long dataBytes)
            throws FileFormatException {
        String where = file + ": corrupt safetensors header: tensor '" + name + "' ";
        JsonNode dtype = entry.get("dtype");
        JsonNode shapeNode = entry.get("shape");
        JsonNode offsets = entry.get("data_offsets");
        if (dtype == null
                || !dtype.isTextual()
                || shapeNode == null
                || !shapeNode.isArray()
                || offsets == null
                || !offsets.isArray()
                || offsets.size() != 2) {
            throw new FileFormatException(where + "needs dtype, shape and data_offsets [begin, end], got " + entry);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asLong() < 0) {
                throw new FileFormatException(where + "has a bad shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new FileFormatException(where + "has non-integer data_offsets " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataBytes) {
            throw new FileFormatException(where + "has data_offsets " + offsets + " outside the data section of "
                    + dataBytes + " bytes (truncated file?)");
        }
        TensorInfo info = new TensorInfo(name, dtype.asText(), shape, file, dataStart + begin, dataStart + end);
        int elementBytes = SafetensorsDtype.byteSizeOf(dtype.asText());
        if (elementBytes > 0 && info.elementCount() * elementBytes != end - begin) {
            throw new FileFormatException(where + "of dtype " + dtype.asText() + " and shape " + shapeNode + " needs "
                    + info.elementCount() * elementBytes + " bytes, but data_offsets span " + (end - begin));
        }
        return info;
    }

    public Path file() {
        return file;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The named tensor, or an error naming the file, the tensor and what the file has. */
    public TensorInfo tensor(String name) throws FileFormatException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new FileFormatException(
                    file + ": tensor '" + name + "' is missing (has: " + String.join(", ", tensors.keySet()) + ")");
        }
        return info;
    }

    /**
     * Widens {@code into.remaining()} elements of {@code tensor}, starting at element {@code firstElement}, into
     * {@code into} (advancing its position). Only that slice of the file is read, a window at a time.
     */
    public synchronized void read(TensorInfo tensor, long firstElement, FloatBuffer into) throws IOException {
        if (!tensor.file().equals(file)) {
            throw new IllegalArgumentException(tensor + " is not in " + file);
        }
        SafetensorsDtype dtype = tensor.readableDtype();
        long count = into.remaining();
        if (firstElement < 0 || firstElement + count > tensor.elementCount()) {
            throw new IllegalArgumentException(
                    "elements [" + firstElement + ", " + (firstElement + count) + ") are outside " + tensor);
        }
        long position = tensor.byteBegin() + firstElement * dtype.bytes();
        long end = position + count * dtype.bytes();
        if (window == null) {
            window = ByteBuffer.allocateDirect(windowBytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        while (position < end) {
            int length = (int) Math.min(windowBytes, end - position);
            window.clear().limit(length);
            try {
                readFully(file, channel, window, position);
            } catch (IOException e) {
                throw new IOException(file + ": cannot read tensor '" + tensor.name() + "': " + e.getMessage(), e);
            }
            widen(window.flip(), dtype, length / dtype.bytes(), into);
            position += length;
        }
    }

    private static void widen(ByteBuffer in, SafetensorsDtype dtype, int count, FloatBuffer into) {
        switch (dtype) {
            case F32 -> into.put(in.asFloatBuffer());
            case BF16 -> {
                for (int i = 0; i < count; i++) into.put(HalfFloats.bf16ToFloat(in.getShort()));
            }
            case F16 -> {
                for (int i = 0; i < count; i++) into.put(HalfFloats.f16ToFloat(in.getShort()));
            }
            case F64 -> {
                for (int i = 0; i < count; i++) into.put((float) in.getDouble());
            }
        }
    }

    /** Reads a whole tensor into a new float array (C order); it must fit one Java array. */
    public float[] readAll(String name) throws IOException {
        TensorInfo info = tensor(name);
        long n = info.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new FileFormatException(file + ": tensor '" + name + "' has " + n
                    + " elements, too many for one Java array; read it in slices");
        }
        float[] out = new float[(int) n];
        read(info, 0, FloatBuffer.wrap(out));
        return out;
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) {
                throw new FileFormatException(file + ": unexpected end of file at byte " + position);
            }
            position += n;
        }
    }

    /** Closes the file. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close", e);
        }
    }
}
