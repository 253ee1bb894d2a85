package dev.scopeflow.schemas.results;

/** {@code reconstruction_stats} (V002): one SAE's reconstruction quality over the counted tokens of a run. */
public final class ReconstructionStatsRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "reconstruction_stats",
            "run_id String",
            "sae_id String",
            "n_tokens UInt64",
            "l0 Float64",
            "mse Float64",
            "fvu Float64",
            "explained_variance Float64",
            "cosine Float64",
            "l2_ratio Float64",
            "relative_reconstruction_bias Float64",
            "version UInt64");

    public ReconstructionStatsRows() {
        super(TABLE, 128);
    }

    public ReconstructionStatsRows add(
            String runId,
            String saeId,
            long nTokens,
            double l0,
            double mse,
            double fvu,
            double explainedVariance,
            double cosine,
            double l2Ratio,
            double relativeReconstructionBias,
            long version) {
        nextRow()
                .string(runId)
                .string(saeId)
                .uint64(nTokens)
                .float64(l0)
                .float64(mse)
                .float64(fvu)
                .float64(explainedVariance)
                .float64(cosine)
                .float64(l2Ratio)
                .float64(relativeReconstructionBias)
                .uint64(version);
        return this;
    }
}
