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

    /**
     * The {@code run_id} under which the job counts records it cannot decode: they name no run, so counting them
     * in the job's own run would charge them to every run that reads the topic. No valid run id has parentheses.
     * Its version is the undecodable records a job saw from the topic's start, so jobs re-reading the same topic
     * write the same row and the highest count wins (each such record is counted once, not once per job).
     */
    public static final String UNDECODABLE_RUN_ID = "(undecodable)";

    public RunProgressRows() {
        super(TABLE);
    }

    public RunProgressRows add(
            String runId, long records, long tokens, long deadLetters, Instant updatedAt, long version) {
        addRow(runId, records, tokens, deadLetters, updatedAt, version);
        return this;
    }
}
