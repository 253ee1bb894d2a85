-- V008: `documents` in 64-row granules (V002 created it with ClickHouse's default 8192). A row is one context
-- window (1024 token ids ≈ 4 KB), so a default granule is ~32 MB of token ids, and every lookup of one document
-- (a feature's top windows, the dashboard's token context) read and merged a whole one: seconds per page once a
-- corpus has more than a few thousand documents. 64 windows ≈ 256 KB. Granularity is fixed when a table is
-- created, so the rows move to a new table which then takes the name. Run it while no job writes `documents`
-- (windows written between the copy and the rename would stay behind). Safe to rerun if interrupted: the copy is
-- deduplicated by the ReplacingMergeTree key, the rename swaps whatever `documents` is then.
CREATE TABLE IF NOT EXISTS ${db}.documents_v008 (
    run_id String,
    doc_id Int64,
    window_start UInt32,
    token_ids Array(Int32),
    text String
) ENGINE = ReplacingMergeTree() ORDER BY (run_id, doc_id, window_start) SETTINGS index_granularity = 64;

INSERT INTO ${db}.documents_v008 SELECT run_id, doc_id, window_start, token_ids, text FROM ${db}.documents;

RENAME TABLE ${db}.documents TO ${db}.documents_before_v008, ${db}.documents_v008 TO ${db}.documents;

DROP TABLE IF EXISTS ${db}.documents_before_v008;
