-- V011: what each of a run's workers has committed (issue 13). One row per worker session (a worker process:
-- a restart under the same worker id is a new session), rewritten after its commits with growing totals;
-- `version` counts the session's transactions, committed and aborted, so the latest row wins (read FINAL).
-- Documents are counted once across sessions (a document is committed by one transaction only), so the sum over
-- a run's sessions is the documents produced; a session killed after a commit and before its next row is written
-- under-counts by that commit. Same rules as V001: runs on ClickHouse 18.16.1 and current releases.
CREATE TABLE IF NOT EXISTS ${db}.worker_progress (
    run_id String,
    worker_id String,
    session String,
    documents UInt64,
    windows UInt64,
    tokens UInt64,
    transactions UInt64,
    aborted UInt64,
    finished UInt8,
    updated_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, worker_id, session);
