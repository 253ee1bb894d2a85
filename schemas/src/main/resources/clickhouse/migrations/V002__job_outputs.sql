-- Outputs of the streaming statistics job beyond per-feature counts (issue: streaming statistics job).
-- Same rules as V001: runs on ClickHouse 18.16.1 and current releases; rows are whole snapshots versioned by
-- tokens counted, so a replayed commit replaces instead of adding. Read with FINAL.

-- Top-k activating examples per feature: rank 1 is the highest activation; ties by lower doc, then position.
CREATE TABLE IF NOT EXISTS ${db}.top_examples (
    run_id String,
    sae_id String,
    feature UInt32,
    rank UInt16,
    doc_id Int64,
    position UInt32,
    activation Float32,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, sae_id, feature, rank);

-- Reconstruction quality of one SAE over the counted tokens of a run (centred FVU; see sae-operators).
CREATE TABLE IF NOT EXISTS ${db}.reconstruction_stats (
    run_id String,
    sae_id String,
    n_tokens UInt64,
    l0 Float64,
    mse Float64,
    fvu Float64,
    explained_variance Float64,
    cosine Float64,
    l2_ratio Float64,
    relative_reconstruction_bias Float64,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, sae_id);

-- Progress of a run as the job sees it: records read, tokens counted, records sent to the dead-letter topic.
CREATE TABLE IF NOT EXISTS ${db}.run_progress (
    run_id String,
    records UInt64,
    tokens UInt64,
    dead_letters UInt64,
    updated_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY run_id;

-- Token context of documents, so a top example can be shown with the tokens around it
-- (e.g. arraySlice(token_ids, position - 10, 21)). One row per context window.
CREATE TABLE IF NOT EXISTS ${db}.documents (
    run_id String,
    doc_id Int64,
    window_start UInt32,
    token_ids Array(Int32),
    text String
) ENGINE = ReplacingMergeTree() ORDER BY (run_id, doc_id, window_start);
