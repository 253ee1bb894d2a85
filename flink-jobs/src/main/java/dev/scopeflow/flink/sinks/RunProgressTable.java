package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.time.Instant;

/** Writes a (run, site) progress snapshot into {@code site_progress}, versioned by records read plus tokens. */
public final class RunProgressTable implements ClickHouseSnapshotSink.TableWriter<RunProgress> {

    private static final long serialVersionUID = 1L;

    @Override
    public void write(ClickHouseHttp clickHouse, String database, RunProgress p) {
        new SiteProgressRows()
                .add(p.runId, p.site, p.records, p.tokens, p.deadLetters, Instant.now(), p.version())
                .insertInto(clickHouse, database);
    }
}
