package dev.scopeflow.producers.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * Reads documents from plain text (one per line), a directory (one per regular file, in path order, recursively)
 * or JSONL (one object per line, text in a configurable field). Works on bytes, so nothing in the input can make
 * it fail: empty records, invalid UTF-8 and malformed JSON are skipped and counted in {@link #stats()}; records
 * longer than the size limit are cut (at a character boundary) and counted, and never held whole in memory.
 * Iterate once.
 */
public final class CorpusReader implements Iterable<Document>, AutoCloseable {

    /** Default per-document limit: far above any context window, far below memory trouble. */
    public static final int DEFAULT_MAX_DOCUMENT_BYTES = 16 << 20;

    private enum Format {
        LINES,
        JSONL,
        DIRECTORY
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final Format format;
    private final String textField;
    private final int maxDocumentBytes;
    private final CorpusStats stats = new CorpusStats();
    private InputStream lines;
    private Iterator<Path> files;
    private boolean iterated;
    private long totalUnits;
    private long unitsDone;

    private CorpusReader(Path source, Format format, String textField, int maxDocumentBytes) {
        if (maxDocumentBytes <= 0) {
            throw new IllegalArgumentException("maxDocumentBytes must be > 0, got " + maxDocumentBytes);
        }
        this.source = source;
        this.format = format;
        this.textField = textField;
        this.maxDocumentBytes = maxDocumentBytes;
        try {
            if (format == Format.DIRECTORY) {
                if (!Files.isDirectory(source)) {
                    throw new IllegalArgumentException(source + ": not a directory");
                }
                try (Stream<Path> walk = Files.walk(source)) {
                    List<Path> list = walk.filter(Files::isRegularFile).sorted().toList();
                    files = list.iterator();
                    totalUnits = list.size();
                }
            } else {
                if (!Files.isRegularFile(source)) {
                    throw new IllegalArgumentException(source + ": no such corpus file");
                }
                lines = new BufferedInputStream(Files.newInputStream(source), 1 << 16);
                totalUnits = Files.size(source);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + source, e);
        }
    }

    /** One document per line of a text file. */
    public static CorpusReader textLines(Path file) {
        return new CorpusReader(file, Format.LINES, null, DEFAULT_MAX_DOCUMENT_BYTES);
    }

    /** One document per line of a JSONL file, its text in {@code textField}. */
    public static CorpusReader jsonl(Path file, String textField) {
        return new CorpusReader(file, Format.JSONL, textField, DEFAULT_MAX_DOCUMENT_BYTES);
    }

    /** One document per regular file below {@code directory}. */
    public static CorpusReader directory(Path directory) {
        return new CorpusReader(directory, Format.DIRECTORY, null, DEFAULT_MAX_DOCUMENT_BYTES);
    }

    /** Picks the format from the path: a directory, {@code *.jsonl}/{@code *.json} (JSONL), else text lines. */
    public static CorpusReader open(Path path, String textField, int maxDocumentBytes) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        Format format = Files.isDirectory(path)
                ? Format.DIRECTORY
                : name.endsWith(".jsonl") || name.endsWith(".json") ? Format.JSONL : Format.LINES;
        return new CorpusReader(path, format, textField, maxDocumentBytes);
    }

    /** The same reader with another per-document byte limit. */
    public CorpusReader withMaxDocumentBytes(int limit) {
        close();
        return new CorpusReader(source, format, textField, limit);
    }

    public CorpusStats stats() {
        return stats;
    }

    /** How much of the input has been read, in [0, 1] (bytes of a file, files of a directory), for ETAs. */
    public double fractionRead() {
        return totalUnits == 0 ? 1.0 : Math.min(1.0, (double) unitsDone / totalUnits);
    }

    @Override
    public Iterator<Document> iterator() {
        if (iterated) {
            throw new IllegalStateException("a CorpusReader can be iterated only once");
        }
        iterated = true;
        return new Iterator<>() {
            private Document next = advance();

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Document next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                Document current = next;
                next = advance();
                return current;
            }
        };
    }

    /** The next usable document, or null at the end. */
    private Document advance() {
        try {
            while (true) {
                long ordinal = stats.records();
                Record record = format == Format.DIRECTORY ? nextFile() : nextLine();
                if (record == null) {
                    return null;
                }
                stats.countRecord();
                Document doc = toDocument(ordinal, record);
                if (doc != null) {
                    stats.countDocument();
                    return doc;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + source, e);
        }
    }

    private record Record(byte[] bytes, boolean truncated, String where) {}

    private Record nextLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean truncated = false;
        int b;
        boolean any = false;
        while ((b = lines.read()) >= 0) {
            any = true;
            unitsDone++;
            if (b == '\n') {
                break;
            }
            if (line.size() < maxDocumentBytes) {
                line.write(b);
            } else {
                truncated = true;
            }
        }
        if (!any) {
            return null;
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r' && !truncated) {
            length--;
        }
        return new Record(java.util.Arrays.copyOf(bytes, length), truncated, source + ":" + (stats.records() + 1));
    }

    private Record nextFile() throws IOException {
        if (!files.hasNext()) {
            return null;
        }
        Path file = files.next();
        unitsDone++;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(maxDocumentBytes);
            boolean truncated = in.read() >= 0;
            return new Record(bytes, truncated, file.toString());
        }
    }

    private Document toDocument(long ordinal, Record record) {
        byte[] bytes = record.truncated() ? cutAtCharBoundary(record.bytes()) : record.bytes();
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            stats.countInvalidUtf8();
            return null;
        }
        if (format == Format.JSONL) {
            if (record.truncated()) {
                // A cut JSON line cannot be parsed: skip it as malformed rather than guess.
                stats.countMalformedJson();
                return null;
            }
            if (text.isBlank()) {
                stats.countEmpty();
                return null;
            }
            try {
                JsonNode node = JSON.readTree(text);
                JsonNode field = node == null ? null : node.get(textField);
                if (field == null || !field.isTextual()) {
                    stats.countMalformedJson();
                    return null;
                }
                text = field.asText();
            } catch (IOException e) {
                stats.countMalformedJson();
                return null;
            }
        }
        if (text.isBlank()) {
            stats.countEmpty();
            return null;
        }
        if (record.truncated()) {
            stats.countTruncated();
        }
        return new Document(ordinal, text, record.where());
    }

    /** Drops a trailing partial UTF-8 sequence left by cutting at the byte limit. */
    private static byte[] cutAtCharBoundary(byte[] bytes) {
        int end = bytes.length;
        int back = 0;
        while (end > 0 && back < 4 && (bytes[end - 1] & 0xC0) == 0x80) {
            end--;
            back++;
        }
        if (end > 0 && (bytes[end - 1] & 0x80) != 0) {
            int lead = bytes[end - 1] & 0xFF;
            int needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (needed > back + 1) {
                end--; // incomplete sequence: drop its lead byte too
            } else {
                end += back; // complete: keep it
            }
        } else {
            end += back; // stray continuation bytes: leave for the decoder to reject
        }
        return java.util.Arrays.copyOf(bytes, end);
    }

    @Override
    public void close() {
        if (lines != null) {
            try {
                lines.close();
            } catch (IOException ignored) {
                // read-only input
            }
        }
    }
}
