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

-- Token → features: one row per token with stored activations, its features ascending and their values in
-- two parallel arrays; written by the job beside the rows above (same checkpoint flush, same replay rule: a
-- replayed token's row is identical). A row per token, not per activation, because reading "every feature on
-- these tokens" then reads ~70× fewer keys; 256-row granules so a scattered token set reads little beyond
-- its tokens (see schemas/README.md).
CREATE TABLE IF NOT EXISTS ${db}.feature_activations_by_token (
    run_id String,
    sae_id String,
    doc_id Int64,
    position UInt32,
    token_id Int32,
    features Array(UInt32),
    activations Array(Float32)
) ENGINE = ReplacingMergeTree() ORDER BY (run_id, sae_id, doc_id, position) SETTINGS index_granularity = 256;

-- What the job stores for each SAE of a run: 'all', 'none', 'min-activation X' or 'top-per-token N'.
CREATE TABLE IF NOT EXISTS ${db}.store_policies (
    run_id String,
    sae_id String,
    policy String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (run_id, sae_id);
