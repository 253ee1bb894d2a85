-- V006: the sparse activation store (issue 11). Every stored non-zero SAE activation of a run, one row per
-- (token, feature), written by the streaming job. Same rules as V001: runs on ClickHouse 18.16.1 and current
-- releases. Why this layout: see schemas/README.md ("Activation store").
--
-- Exactly once: the job writes a checkpoint's rows before the checkpoint completes and writes the rows of a
-- replayed record again after a restart; the rows are identical (the encode is deterministic) and the
-- ReplacingMergeTree key is the row's identity, so merges keep one and queries read with FINAL.

-- Feature → tokens: a feature's rows are one contiguous key range, ordered by document and position.
CREATE TABLE IF NOT EXISTS ${db}.feature_activations (
    run_id String,
    sae_id String,
    feature UInt32,
    doc_id Int64,
    position UInt32,
    token_id Int32,
    activation Float32
) ENGINE = ReplacingMergeTree() ORDER BY (run_id, sae_id, feature, doc_id, position);

-- Token → features: the same rows in (document, position) order, filled by the view below on every insert.
CREATE TABLE IF NOT EXISTS ${db}.feature_activations_by_token (
    run_id String,
    sae_id String,
    doc_id Int64,
    position UInt32,
    feature UInt32,
    token_id Int32,
    activation Float32
) ENGINE = ReplacingMergeTree() ORDER BY (run_id, sae_id, doc_id, position, feature);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.feature_activations_by_token_mv
TO ${db}.feature_activations_by_token
AS SELECT run_id, sae_id, doc_id, position, feature, token_id, activation FROM ${db}.feature_activations;

-- What the job stores for each SAE of a run: 'all', 'none', 'min-activation X' or 'top-per-token N'.
CREATE TABLE IF NOT EXISTS ${db}.store_policies (
    run_id String,
    sae_id String,
    policy String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (run_id, sae_id);
