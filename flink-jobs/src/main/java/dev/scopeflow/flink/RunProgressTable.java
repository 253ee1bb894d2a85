package dev.scopeflow.flink;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;

import java.time.Instant;
import java.util.List;

/** Writes a run's progress snapshot into {@code run_progress}, versioned by records read. */
public final class RunProgressTable implements ClickHouseSnapshotSink.TableWriter<RunProgress> {

    private static final long serialVersionUID = 1L;
    private static final List<String> COLUMNS =
            List.of("run_id", "records", "tokens", "dead_letters", "updated_at", "version");

    @Override
    public void write(ClickHouseHttp clickHouse, String database, RunProgress p) {
        clickHouse.insert(database + ".run_progress", COLUMNS,
                List.of(List.of(p.runId, p.records, p.tokens, p.deadLetters, Instant.now(), p.version())));
    }
}
