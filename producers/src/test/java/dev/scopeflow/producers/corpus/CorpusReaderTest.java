package dev.scopeflow.producers.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusReaderTest {

    @TempDir
    Path tmp;

    private static List<Document> readAll(CorpusReader reader) {
        List<Document> docs = new ArrayList<>();
        try (reader) {
            reader.forEach(docs::add);
        }
        return docs;
    }

    @Test
    void textLinesSkipAndCountEmptyAndInvalidUtf8() throws IOException {
        Path file = tmp.resolve("c.txt");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("first doc\r\n\n   \n".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[] {'b', 'a', 'd', (byte) 0xC3, (byte) 0x28, '\n'}); // invalid 2-byte sequence
            out.write("caf\u00e9 \u2603 last".getBytes(StandardCharsets.UTF_8)); // no trailing newline
        }
        CorpusReader reader = CorpusReader.textLines(file);
        List<Document> docs = readAll(reader);
        assertThat(docs).extracting(Document::text).containsExactly("first doc", "caf\u00e9 \u2603 last");
        assertThat(docs).extracting(Document::id).containsExactly(0L, 4L); // ids are line ordinals
        assertThat(reader.stats().records()).isEqualTo(5);
        assertThat(reader.stats().empty()).isEqualTo(2);
        assertThat(reader.stats().invalidUtf8()).isEqualTo(1);
        assertThat(reader.stats().documents()).isEqualTo(2);
    }

    @Test
    void hugeLinesAreCutAtACharacterBoundaryAndCounted() throws IOException {
        Path file = tmp.resolve("huge.txt");
        String huge = "\u00e9".repeat(1000); // 2000 bytes
        Files.writeString(file, huge + "\nsmall\n", StandardCharsets.UTF_8);
        CorpusReader reader = CorpusReader.open(file, "text", 1001); // cuts inside the 501st é
        List<Document> docs = readAll(reader);
        assertThat(docs).extracting(Document::text).containsExactly("\u00e9".repeat(500), "small");
        assertThat(reader.stats().truncated()).isEqualTo(1);
        assertThat(reader.stats().invalidUtf8()).isZero();
    }

    @Test
    void jsonlReadsTheConfiguredFieldAndCountsMalformedLines() throws IOException {
        Path file = tmp.resolve("c.jsonl");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "{\"body\": \"hello \\u00e9\", \"id\": 1}",
                        "{\"text\": \"wrong field\"}",
                        "not json",
                        "{\"body\": 42}",
                        "",
                        "{\"body\": \"   \"}",
                        "{\"body\": \"second\"}"),
                StandardCharsets.UTF_8);
        CorpusReader reader = CorpusReader.jsonl(file, "body");
        List<Document> docs = readAll(reader);
        assertThat(docs).extracting(Document::text).containsExactly("hello \u00e9", "second");
        assertThat(docs).extracting(Document::id).containsExactly(0L, 6L);
        assertThat(reader.stats().malformedJson()).isEqualTo(3);
        assertThat(reader.stats().empty()).isEqualTo(2);
    }

    @Test
    void directoryReadsOneDocumentPerFileInPathOrder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("docs/sub"));
        Files.writeString(tmp.resolve("docs/b.txt"), "two\nlines");
        Files.writeString(tmp.resolve("docs/a.txt"), "one");
        Files.writeString(dir.resolve("c.txt"), "");
        Files.write(dir.resolve("d.bin"), new byte[] {(byte) 0xFF, (byte) 0xFE});
        CorpusReader reader = CorpusReader.open(tmp.resolve("docs"), "text", 1 << 20);
        List<Document> docs = readAll(reader);
        assertThat(docs).extracting(Document::text).containsExactly("one", "two\nlines");
        assertThat(reader.stats().empty()).isEqualTo(1);
        assertThat(reader.stats().invalidUtf8()).isEqualTo(1);
    }
}
