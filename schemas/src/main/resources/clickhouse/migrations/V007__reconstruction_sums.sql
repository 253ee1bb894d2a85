-- V007: reconstruction_stats keeps the raw sums behind its metrics (issue 12), so every variant the peers
-- report can be recomputed in SQL: mse_per_token = sum_squared_error / n_tokens (SAELens' definition since its
-- PR #711), uncentred FVU = sum_squared_error / sum_input_norm_squared, centred total variance =
-- sum_input_norm_squared − Σ_d input_sums[d]² / n_tokens, relative reconstruction bias =
-- sum_recon_norm_squared / sum_dot. Same rules as V001 (ClickHouse 18.16.1 and current releases). Rows written
-- before V007 read the defaults (0, []). One ALTER, so the columns arrive together: 18.16 has no
-- ADD COLUMN IF NOT EXISTS, and schema_migrations records V007 once it succeeded.
ALTER TABLE ${db}.reconstruction_stats
    ADD COLUMN mse_per_token Float64,
    ADD COLUMN sum_squared_error Float64,
    ADD COLUMN sum_input_norm_squared Float64,
    ADD COLUMN sum_recon_norm_squared Float64,
    ADD COLUMN sum_dot Float64,
    ADD COLUMN input_sums Array(Float64);
