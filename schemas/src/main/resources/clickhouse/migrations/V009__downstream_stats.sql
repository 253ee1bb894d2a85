-- V009: the model-in-the-loop evaluation of each SAE of a run (issue 12), aggregated by the job from the
-- producers' per-window sums. One whole snapshot per (run, SAE) versioned by windows counted, like
-- reconstruction_stats; the raw counts and float64 sums are kept beside the metrics so any variant can be
-- recomputed in SQL (e.g. ce_clean = sum_ce_clean / n_predictions). A metric that is undefined (0/0, no
-- predictions) is nan. Same rules as V001 (ClickHouse 18.16.1 and current releases); read with FINAL.
CREATE TABLE IF NOT EXISTS ${db}.downstream_stats (
    run_id String,
    sae_id String,
    site String,
    windows UInt64,
    n_predictions UInt64,
    sum_ce_clean Float64,
    sum_ce_sae Float64,
    sum_ce_zero Float64,
    sum_kl_sae Float64,
    sum_kl_zero Float64,
    ce_clean Float64,
    ce_sae Float64,
    ce_zero Float64,
    delta_lm_loss Float64,
    ce_loss_recovered Float64,
    kl_sae Float64,
    kl_zero Float64,
    kl_div_score Float64,
    updated_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, sae_id);
