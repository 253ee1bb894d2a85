-- V001: initial tables. ${db} is replaced by the (validated) database name.
-- Must run on ClickHouse 18.16.1 and current releases: no LowCardinality, DateTime64, Map, TTL.
-- Every statement is idempotent (IF NOT EXISTS): re-running a migration is harmless.
-- Times are DateTime('UTC') so that text in and out is UTC whatever the server's time zone.

CREATE DATABASE IF NOT EXISTS ${db};

-- One row per applied migration; ReplacingMergeTree collapses rows written by concurrent appliers.
CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
(
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
ORDER BY version;

-- One row per run, rewritten on every status change; the row with the latest updated_at wins (read FINAL).
CREATE TABLE IF NOT EXISTS ${db}.runs
(
    run_id     String,
    model_id   String,
    sites      Array(String),
    saes       Array(String),
    corpus     String,
    tokens     UInt64,
    status     String,
    started_at DateTime('UTC'),
    ended_at   DateTime('UTC'),
    updated_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY run_id;

-- Registered SAEs; re-registering replaces the row with the later registered_at.
CREATE TABLE IF NOT EXISTS ${db}.saes
(
    sae_id         String,
    site           String,
    path           String,
    sha256         String,
    architecture   String,
    d_in           UInt32,
    d_sae          UInt32,
    neuronpedia_id String,
    registered_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(registered_at)
ORDER BY sae_id;

-- Cumulative per-feature statistics. Writers send whole running totals with an increasing version, so a
-- replayed write replaces instead of double-counting; readers use FINAL.
CREATE TABLE IF NOT EXISTS ${db}.feature_stats
(
    run_id     String,
    sae_id     String,
    feature    UInt32,
    n_tokens   UInt64,
    fire_count UInt64,
    act_sum    Float64,
    act_max    Float32,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (run_id, sae_id, feature);
