-- Activation distributions per feature, written by the statistics job like V002's tables: whole snapshots
-- versioned by tokens counted (the highest version wins; read with FINAL). Runs on ClickHouse 18.16.1 and
-- current releases.

-- Column names avoid SQL keywords (interval, sample) that ClickHouse 18.16 does not accept as identifiers.

-- Log-spaced activation histogram (sae-operators ActivationHistogram: 10 bins per decade from 1e-3 to 1e3,
-- plus underflow (0, 1e-3) and overflow [1e3, inf)); only non-empty bins are written, and a bin never
-- empties as tokens are added, so a newer snapshot overwrites every row an older one wrote.
CREATE TABLE IF NOT EXISTS ${db}.feature_histograms (
    run_id String,
    sae_id String,
    feature UInt32,
    bin UInt16,
    lower_edge Float32,
    upper_edge Float32,
    count UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, sae_id, feature, bin);

-- Examples spread across the activation range (Neuronpedia-style interval samples; sae-operators
-- IntervalSamples: 2 intervals per decade, up to 5 deterministic samples each). Samples per interval only
-- grow in number, so a newer snapshot overwrites every row an older one wrote.
CREATE TABLE IF NOT EXISTS ${db}.interval_samples (
    run_id String,
    sae_id String,
    feature UInt32,
    interval_index UInt16,
    lower_edge Float32,
    upper_edge Float32,
    sample_rank UInt16,
    doc_id Int64,
    position UInt32,
    activation Float32,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, sae_id, feature, interval_index, sample_rank);
