package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.DownstreamSums;
import java.time.Instant;

/**
 * {@code downstream_stats} (V009): one SAE's model-in-the-loop evaluation over the windows of a run the job has
 * counted, versioned by those windows: the raw count and sums of {@link DownstreamSums} and the metrics computed
 * from them ({@link DownstreamSums#METRIC_NAMES} but {@code n_predictions}; NaN where undefined).
 */
public final class DownstreamStatsRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "downstream_stats",
            "run_id String",
            "sae_id String",
            "site String",
            "windows UInt64",
            "n_predictions UInt64",
            "sum_ce_clean Float64",
            "sum_ce_sae Float64",
            "sum_ce_zero Float64",
            "sum_kl_sae Float64",
            "sum_kl_zero Float64",
            "ce_clean Float64",
            "ce_sae Float64",
            "ce_zero Float64",
            "delta_lm_loss Float64",
            "ce_loss_recovered Float64",
            "kl_sae Float64",
            "kl_zero Float64",
            "kl_div_score Float64",
            "updated_at DateTime('UTC')",
            "version UInt64");

    public DownstreamStatsRows() {
        super(TABLE);
    }

    /** A snapshot of {@code windows} windows; its version is {@code windows}. */
    public DownstreamStatsRows add(
            String runId, String saeId, String site, long windows, DownstreamSums s, Instant updatedAt) {
        addRow(
                runId,
                saeId,
                site,
                windows,
                s.nPredictions(),
                s.sumCeClean(),
                s.sumCeSae(),
                s.sumCeZero(),
                s.sumKlSae(),
                s.sumKlZero(),
                s.ceClean(),
                s.ceSae(),
                s.ceZero(),
                s.deltaLmLoss(),
                s.ceLossRecovered(),
                s.klSae(),
                s.klZero(),
                s.klDivScore(),
                updatedAt,
                windows);
        return this;
    }
}
