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
            "version UInt64",
            "mse_per_token Float64",
            "sum_squared_error Float64",
            "sum_input_norm_squared Float64",
            "sum_recon_norm_squared Float64",
            "sum_dot Float64",
            "input_sums Array(Float64)");

    /**
     * The sums behind the metrics (V007), over the counted tokens: Σ‖x − x̂‖², Σ‖x‖², Σ‖x̂‖², Σ x·x̂ and Σx per
     * dimension.
     */
    public record RawSums(
            double squaredError, double inputNormSquared, double reconNormSquared, double dot, double[] inputSums) {}

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
            long version,
            double msePerToken,
            RawSums sums) {
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
                .uint64(version)
                .float64(msePerToken)
                .float64(sums.squaredError())
                .float64(sums.inputNormSquared())
                .float64(sums.reconNormSquared())
                .float64(sums.dot())
                .float64Array(sums.inputSums());
        return this;
    }
}
