package dev.scopeflow.producers.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
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
 * file and match its shape); tensor data is memory-mapped a slice at a time and widened to float32 into the
 * caller's buffer, so reading never holds more than the caller asks for (tensors may exceed 2 GiB).
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path file, FileChannel channel, Map<String, TensorInfo> tensors) {
        this.file = file;
        this.channel = channel;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": safetensors file does not exist");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            Map<String, TensorInfo> tensors = readHeader(file, channel);
            return new SafetensorsFile(file, channel, tensors);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Map<String, TensorInfo> readHeader(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(file + ": corrupt safetensors header: file has only " + size + " bytes");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 1 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
            throw new CheckpointException(file + ": corrupt safetensors header: header length " + headerLength
                    + " does not fit a file of " + size + " bytes (not a safetensors file, or truncated)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": corrupt safetensors header: invalid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(file + ": corrupt safetensors header: not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataBytes = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            if (!field.getKey().equals("__metadata__")) {
                tensors.put(field.getKey(), tensorInfo(file, field.getKey(), field.getValue(), dataStart, dataBytes));
            }
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode entry, long dataStart, long dataBytes) {
        String where = file + ": corrupt safetensors header: tensor '" + name + "' ";
        JsonNode dtype = entry.get("dtype");
        JsonNode shapeNode = entry.get("shape");
        JsonNode offsets = entry.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shapeNode == null || !shapeNode.isArray() || offsets == null
                || !offsets.isArray() || offsets.size() != 2) {
            throw new CheckpointException(where + "needs dtype, shape and data_offsets [begin, end], got " + entry);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new CheckpointException(where + "has a bad shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new CheckpointException(where + "has non-integer data_offsets " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataBytes) {
            throw new CheckpointException(where + "has data_offsets " + offsets + " outside the data section of "
                    + dataBytes + " bytes (truncated file?)");
        }
        TensorInfo info = new TensorInfo(name, dtype.asText(), shape, file, dataStart + begin, dataStart + end);
        int elementBytes = SafetensorsDtype.byteSizeOf(dtype.asText());
        if (elementBytes > 0 && info.elementCount() * elementBytes != end - begin) {
            throw new CheckpointException(where + "of dtype " + dtype.asText() + " and shape " + shapeNode + " needs "
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

    /**
     * Widens {@code into.remaining()} elements of {@code tensor}, starting at element {@code firstElement}, into
     * {@code into} (advancing its position). Only that slice of the file is mapped.
     */
    public void read(TensorInfo tensor, long firstElement, FloatBuffer into) {
        if (!tensor.file().equals(file)) {
            throw new IllegalArgumentException(tensor + " is not in " + file);
        }
        SafetensorsDtype dtype = tensor.readableDtype();
        int count = into.remaining();
        if (firstElement < 0 || firstElement + count > tensor.elementCount()) {
            throw new IllegalArgumentException("elements [" + firstElement + ", " + (firstElement + count)
                    + ") are outside " + tensor);
        }
        long position = tensor.byteBegin() + firstElement * dtype.bytes();
        MappedByteBuffer mapped;
        try {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, position, (long) count * dtype.bytes());
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot map tensor '" + tensor.name() + "': " + e.getMessage(), e);
        }
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> into.put(mapped.asFloatBuffer());
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    // bf16 is the upper half of a float32: widening is a shift.
                    into.put(Float.intBitsToFloat((mapped.getShort() & 0xFFFF) << 16));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    into.put(halfToFloat(mapped.getShort()));
                }
            }
        }
    }

    /** IEEE 754 binary16 to float32, subnormals, infinities and NaN included. */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + position);
            }
            position += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the original failure is what matters
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
