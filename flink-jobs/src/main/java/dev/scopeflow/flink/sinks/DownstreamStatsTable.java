package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.SaeDownstream;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.DownstreamStatsRows;
import java.time.Instant;

/** Writes a (run, SAE) downstream snapshot into {@code downstream_stats}, versioned by windows counted. */
public final class DownstreamStatsTable implements ClickHouseSnapshotSink.TableWriter<SaeDownstream> {

    private static final long serialVersionUID = 1L;

    @Override
    public void write(ClickHouseHttp clickHouse, String database, SaeDownstream d) {
        new DownstreamStatsRows()
                .add(d.runId, d.saeId, d.site, d.windows, d.sums(), Instant.now())
                .insertInto(clickHouse, database);
    }
}
