package dev.scopeflow.schemas.results;

import java.time.Instant;

/**
 * {@code run_corpus} (V010): a run whose documents {@code scopeflow enqueue} has committed to the corpus topic, how
 * many there are and what the corpus reader skipped. Written once, after the last document: a row means the run's
 * corpus is complete.
 */
public final class RunCorpusRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "run_corpus",
            "run_id String",
            "topic String",
            "corpus String",
            "documents UInt64",
            "records UInt64",
            "empty UInt64",
            "invalid_utf8 UInt64",
            "malformed_json UInt64",
            "truncated UInt64",
            "enqueued_at DateTime('UTC')");

    public RunCorpusRows() {
        super(TABLE);
    }

    /** {@code records} counts every line or file read; the skipped ones are among them, the truncated ones not. */
    public RunCorpusRows add(
            String runId,
            String topic,
            String corpus,
            long documents,
            long records,
            long empty,
            long invalidUtf8,
            long malformedJson,
            long truncated,
            Instant enqueuedAt) {
        addRow(runId, topic, corpus, documents, records, empty, invalidUtf8, malformedJson, truncated, enqueuedAt);
        return this;
    }
}
