package dev.scopeflow.schemas.results;

import java.time.Instant;

/**
 * {@code worker_progress} (V011): one row per worker session of a run with what it has committed so far; a later
 * row of the session (higher {@code version}: its transactions, committed and aborted) replaces the earlier.
 */
public final class WorkerProgressRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "worker_progress",
            "run_id String",
            "worker_id String",
            "session String",
            "documents UInt64",
            "windows UInt64",
            "tokens UInt64",
            "transactions UInt64",
            "aborted UInt64",
            "finished UInt8",
            "updated_at DateTime('UTC')",
            "version UInt64");

    public WorkerProgressRows() {
        super(TABLE);
    }

    public WorkerProgressRows add(
            String runId,
            String workerId,
            String session,
            long documents,
            long windows,
            long tokens,
            long transactions,
            long aborted,
            boolean finished,
            Instant updatedAt) {
        addRow(
                runId,
                workerId,
                session,
                documents,
                windows,
                tokens,
                transactions,
                aborted,
                finished ? 1 : 0,
                updatedAt,
                transactions + aborted + (finished ? 1 : 0));
        return this;
    }
}
