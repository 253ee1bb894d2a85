package dev.scopeflow.producers.corpus;

import java.util.Objects;

/**
 * One corpus document. {@code id} is its ordinal in the source (line number for text and JSONL files, file index
 * for a directory), counting skipped records too, so ids stay stable when a replay skips the same bad records.
 */
public record Document(long id, String text, String source) {
    public Document {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(source, "source");
    }
}
