package dev.scopeflow.schemas.results;

import java.time.Instant;
import java.util.List;

/** {@code runs} (V001): one row per run, rewritten on each status change; the latest {@code updated_at} wins. */
public final class RunsRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "runs",
            "run_id String",
            "model_id String",
            "sites Array(String)",
            "saes Array(String)",
            "corpus String",
            "tokens UInt64",
            "status String",
            "started_at DateTime('UTC')",
            "ended_at DateTime('UTC')",
            "updated_at DateTime('UTC')");

    public RunsRows() {
        super(TABLE);
    }

    /** {@code endedAt} is {@link Instant#EPOCH} while the run is going. */
    public RunsRows add(
            String runId,
            String modelId,
            List<String> sites,
            List<String> saes,
            String corpus,
            long tokens,
            String status,
            Instant startedAt,
            Instant endedAt,
            Instant updatedAt) {
        addRow(
                runId,
                modelId,
                List.copyOf(sites),
                List.copyOf(saes),
                corpus,
                tokens,
                status,
                startedAt,
                endedAt,
                updatedAt);
        return this;
    }
}
