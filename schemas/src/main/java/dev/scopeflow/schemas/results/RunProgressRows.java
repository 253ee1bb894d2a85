package dev.scopeflow.schemas.results;

import java.time.Instant;

/**
 * {@code run_progress} (V002): a run as one job saw it, one row per run. No longer written: jobs of one run at
 * different sites replaced each other's row, so progress is now per (run, site) in {@link SiteProgressRows}, and
 * V005 copied these rows there (site {@link SiteProgressRows#NO_SITE}). Kept so the table keeps a description.
 */
public final class RunProgressRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "run_progress",
            "run_id String",
            "records UInt64",
            "tokens UInt64",
            "dead_letters UInt64",
            "updated_at DateTime('UTC')",
            "version UInt64");

    public RunProgressRows() {
        super(TABLE);
    }

    public RunProgressRows add(
            String runId, long records, long tokens, long deadLetters, Instant updatedAt, long version) {
        addRow(runId, records, tokens, deadLetters, updatedAt, version);
        return this;
    }
}
