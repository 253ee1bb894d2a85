package dev.scopeflow.schemas.results;

import java.time.Instant;

/**
 * {@code store_policies} (V006): which activations the job stores in {@code feature_activations} for each SAE of
 * a run ({@code all}, {@code none}, {@code min-activation X}, {@code top-per-token N}); the latest
 * {@code updated_at} wins.
 */
public final class StorePoliciesRows extends TsvRows {

    /** The policy of an SAE whose activations the job stores none of: readers say so rather than show nothing. */
    public static final String NONE = "none";

    public static final ResultsTable TABLE = ResultsTable.of(
            "store_policies", "run_id String", "sae_id String", "policy String", "updated_at DateTime('UTC')");

    public StorePoliciesRows() {
        super(TABLE);
    }

    public StorePoliciesRows add(String runId, String saeId, String policy, Instant updatedAt) {
        addRow(runId, saeId, policy, updatedAt);
        return this;
    }
}
