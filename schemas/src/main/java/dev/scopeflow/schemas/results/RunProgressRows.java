package dev.scopeflow.schemas.results;

import java.time.Instant;

/** {@code run_progress} (V002): a run as the job sees it, versioned by records read plus tokens counted
 * (so a view that counted fewer tokens of the same records never replaces one that counted more). */
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
