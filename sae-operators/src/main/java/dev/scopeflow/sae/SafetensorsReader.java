package dev.scopeflow.sae;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads tensors from a {@code .safetensors} file (8-byte little-endian header length, JSON header, raw
 * little-endian data) one tensor at a time through positioned channel reads, widening F16 and BF16 to float32
 * in Java (DJL crashes on BF16). F32, F16, BF16 and F64 are supported.
 */
public final class SafetensorsReader implements AutoCloseable {

    private static final long MAX_HEADER = 100L << 20;
    private static final int CHUNK = 1 << 16;

    private record Entry(String dtype, int[] shape, long begin, long end) { }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
                              Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsReader open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SaeFormatException(file + ": no such file");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            if (lengthBytes.hasRemaining()) {
                throw new SaeFormatException(file + ": truncated safetensors file (" + size + " bytes, no header)");
            }
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
                throw new SaeFormatException(file + ": bad safetensors header length " + headerLength + " (file has "
                        + size + " bytes): not a safetensors file or truncated");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            Object parsed;
            try {
                parsed = MiniJson.parse(json);
            } catch (IllegalArgumentException e) {
                throw new SaeFormatException(file + ": malformed safetensors header: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> top)) {
                throw new SaeFormatException(file + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (name.equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) {
                        m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                    }
                    continue;
                }
                entries.put(name, parseEntry(file, name, e.getValue(), size - dataStart));
            }
            return new SafetensorsReader(file, channel, dataStart, entries, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static Entry parseEntry(Path file, String name, Object value, long dataBytes) throws SaeFormatException {
        String source = file.toString();
        if (!(value instanceof Map<?, ?> m) || !(m.get("dtype") instanceof String dtype)
                || !(m.get("shape") instanceof List<?> shapeList) || !(m.get("data_offsets") instanceof List<?> offsets)
                || offsets.size() != 2) {
            throw SaeFormatException.of(source, name, "header entry lacks dtype, shape or data_offsets: " + value);
        }
        int[] shape = new int[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw SaeFormatException.of(source, name, "bad shape " + shapeList);
            }
            shape[i] = (int) (long) d;
        }
        if (!(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end) || begin < 0
                || end < begin) {
            throw SaeFormatException.of(source, name, "bad data_offsets " + offsets);
        }
        if (end > dataBytes) {
            throw SaeFormatException.of(source, name, "truncated data: tensor ends at byte " + end + " of the data "
                    + "section, which has only " + dataBytes);
        }
        return new Entry(dtype, shape, begin, end);
    }

    public Path file() { return file; }

    public List<String> tensorNames() { return Collections.unmodifiableList(new ArrayList<>(entries.keySet())); }

    public boolean contains(String name) { return entries.containsKey(name); }

    /** The header's {@code __metadata__} strings. */
    public Map<String, String> metadata() { return metadata; }

    /** Reads one tensor as float32 in C order. */
    public NpyArray read(String name) throws IOException {
        Entry entry = entries.get(name);
        String source = file.toString();
        if (entry == null) {
            throw SaeFormatException.of(source, name, "missing (has: " + String.join(", ", entries.keySet()) + ")");
        }
        int width = switch (entry.dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> throw SaeFormatException.of(source, name, "unsupported dtype " + entry.dtype
                    + " (supported: F32, F16, BF16, F64)");
        };
        long count = NpyArray.elementCount(entry.shape);
        if (count > Integer.MAX_VALUE - 8) {
            throw SaeFormatException.of(source, name, "too many elements for a Java array");
        }
        if (entry.end - entry.begin != count * width) {
            throw SaeFormatException.of(source, name, "shape " + java.util.Arrays.toString(entry.shape) + " x "
                    + entry.dtype + " needs " + count * width + " bytes, data_offsets give " + (entry.end - entry.begin));
        }
        float[] out = new float[(int) count];
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK - CHUNK % width).order(ByteOrder.LITTLE_ENDIAN);
        long position = dataStart + entry.begin;
        int done = 0;
        while (done < out.length) {
            int n = (int) Math.min(buffer.capacity() / width, out.length - done);
            buffer.clear().limit(n * width);
            readFully(channel, buffer, position);
            if (buffer.hasRemaining()) {
                throw SaeFormatException.of(source, name, "truncated data");
            }
            buffer.flip();
            switch (entry.dtype) {
                case "F32" -> buffer.asFloatBuffer().get(out, done, n);
                case "F16" -> { for (int i = 0; i < n; i++) out[done + i] = Half.toFloat(buffer.getShort()); }
                case "BF16" -> { for (int i = 0; i < n; i++) out[done + i] = Half.bfloat16ToFloat(buffer.getShort()); }
                default -> { for (int i = 0; i < n; i++) out[done + i] = (float) buffer.getDouble(); }
            }
            done += n;
            position += (long) n * width;
        }
        return NpyArray.of(name, entry.shape, out);
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) {
                return;
            }
            position += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
