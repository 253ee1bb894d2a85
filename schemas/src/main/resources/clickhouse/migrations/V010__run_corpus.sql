-- V010: what `scopeflow enqueue` put on the corpus topic for a run (issue 13): one row per run, written once
-- the run's last document is committed to Kafka, so a row means "the run is complete and holds `documents`
-- documents" (what a worker group or a bounded job waits for); the other counts are the corpus reader's
-- (records read, and those skipped as empty, invalid UTF-8 or malformed JSON, or cut to the size limit).
-- Enqueue refuses a run that has a row, so there is one; the later enqueued_at would win. Same rules as V001:
-- runs on ClickHouse 18.16.1 and current releases; read with FINAL.
CREATE TABLE IF NOT EXISTS ${db}.run_corpus (
    run_id String,
    topic String,
    corpus String,
    documents UInt64,
    records UInt64,
    empty UInt64,
    invalid_utf8 UInt64,
    malformed_json UInt64,
    truncated UInt64,
    enqueued_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(enqueued_at) ORDER BY run_id;
