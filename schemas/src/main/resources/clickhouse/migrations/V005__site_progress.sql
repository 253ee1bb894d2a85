-- V005: the job's progress per (run, site) instead of per run (issue 9). A job counts only records of the
-- sites its SAEs read, so two jobs of one run at different sites replaced each other's run_progress row and
-- the run showed one site only; here each (run, site) has its own row and readers sum over sites.
-- Version per row stays records + tokens. Same rules as V001: runs on ClickHouse 18.16.1 and current
-- releases; read with FINAL.
CREATE TABLE IF NOT EXISTS ${db}.site_progress (
    run_id String,
    site String,
    records UInt64,
    tokens UInt64,
    dead_letters UInt64,
    updated_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, site);

-- Old runs keep their numbers: their run_progress row (one site's view, which site unknown) becomes the
-- row of site ''. Only runs without any site_progress row are copied, so applying this file again after a
-- partial failure adds nothing. run_progress stays for old data; nothing writes it any more.
INSERT INTO ${db}.site_progress (run_id, site, records, tokens, dead_letters, updated_at, version)
SELECT run_id, '' AS site, records, tokens, dead_letters, updated_at, version
FROM ${db}.run_progress FINAL
WHERE run_id NOT IN (SELECT run_id FROM ${db}.site_progress);
