package dev.scopeflow.producers.stream;

import java.util.Objects;

/**
 * One context window of a document on the documents topic: the token ids the model saw for document positions
 * {@code firstPosition ..}, so top examples can be shown in context. The first window (firstPosition 0) also
 * carries the document's text and source, cut to a bounded length so a record stays far below Kafka's limits.
 */
public record DocumentRecord(String runId, long docId, int window, int firstPosition, int[] tokenIds, String text,
                             String source, boolean textTruncated) {
    public DocumentRecord {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(tokenIds, "tokenIds");
    }
}
