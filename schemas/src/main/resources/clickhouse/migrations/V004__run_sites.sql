-- V004: what a producer published for a run, so that run-job can check a job against it before writing
-- anything (issue 9): one row per (run, site) with the activation width at that site. Written by
-- `scopeflow produce` and the demo when they start publishing; re-recording replaces the row with the later
-- recorded_at. Same rules as V001: runs on ClickHouse 18.16.1 and current releases; read with FINAL.
CREATE TABLE IF NOT EXISTS ${db}.run_sites (
    run_id String,
    site String,
    width UInt32,
    model_id String,
    recorded_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(recorded_at) ORDER BY (run_id, site);
