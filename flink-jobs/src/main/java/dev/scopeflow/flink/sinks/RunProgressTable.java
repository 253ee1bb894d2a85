package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.RunProgressRows;
import java.time.Instant;

/** Writes a run's progress snapshot into {@code run_progress}, versioned by records read. */
public final class RunProgressTable implements ClickHouseSnapshotSink.TableWriter<RunProgress> {

    private static final long serialVersionUID = 1L;

    @Override
    public void write(ClickHouseHttp clickHouse, String database, RunProgress p) {
        new RunProgressRows()
                .add(p.runId, p.records, p.tokens, p.deadLetters, Instant.now(), p.version())
                .insertInto(clickHouse, database);
    }
}
