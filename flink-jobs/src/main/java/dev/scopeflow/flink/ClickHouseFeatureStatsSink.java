package dev.scopeflow.flink;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.RowBinaryWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;

import java.time.Duration;
import java.util.List;

/**
 * Writes {@link FeatureStatsSnapshot}s to {@code <db>.feature_stats}, one row per feature. Idempotent by
 * construction: rows are whole snapshots with {@code version} = tokens counted, and the table is a
 * ReplacingMergeTree on (run, sae, feature) keeping the highest version, so a replayed write replaces
 * rather than adds. Each write waits for ClickHouse's answer and is retried with backoff, so an unreachable
 * server delays the job instead of losing rows. Rows travel as RowBinary so floats arrive bit-exact.
 */
public final class ClickHouseFeatureStatsSink implements Sink<FeatureStatsSnapshot> {

    private static final long serialVersionUID = 1L;
    static final List<String> COLUMNS =
            List.of("run_id", "sae_id", "feature", "n_tokens", "fire_count", "act_sum", "act_max", "version");

    private final String httpUrl;
    private final String database;
    private final RetryPolicy retryPolicy;

    public ClickHouseFeatureStatsSink(String httpUrl, String database, RetryPolicy retryPolicy) {
        this.httpUrl = httpUrl;
        this.database = database;
        this.retryPolicy = retryPolicy;
    }

    @Override
    public SinkWriter<FeatureStatsSnapshot> createWriter(WriterInitContext context) {
        Counter rowsWritten = context.metricGroup().counter("featureStatsRowsWritten");
        Counter retries = context.metricGroup().counter("clickhouseRetries");
        return new Writer(new ClickHouseHttp(httpUrl), database + ".feature_stats", retryPolicy, rowsWritten, retries);
    }

    /** One RowBinary row per feature, in the column order of {@link #COLUMNS}. */
    static RowBinaryWriter rows(FeatureStatsSnapshot s) {
        int dSae = s.fireCounts.length;
        RowBinaryWriter rows = new RowBinaryWriter(dSae * (s.runId.length() + s.saeId.length() + 46));
        for (int f = 0; f < dSae; f++) {
            rows.string(s.runId).string(s.saeId).uint32(f).uint64(s.tokens).uint64(s.fireCounts[f])
                    .float64(s.sums[f]).float32(s.maxes[f]).uint64(s.version());
        }
        return rows;
    }

    private static final class Writer implements SinkWriter<FeatureStatsSnapshot> {
        private final ClickHouseHttp clickHouse;
        private final String table;
        private final RetryPolicy retryPolicy;
        private final Counter rowsWritten;
        private final Counter retries;

        Writer(ClickHouseHttp clickHouse, String table, RetryPolicy retryPolicy, Counter rowsWritten, Counter retries) {
            this.clickHouse = clickHouse;
            this.table = table;
            this.retryPolicy = retryPolicy;
            this.rowsWritten = rowsWritten;
            this.retries = retries;
        }

        @Override
        public void write(FeatureStatsSnapshot snapshot, Context context) throws InterruptedException {
            RowBinaryWriter rows = rows(snapshot);
            int count = snapshot.fireCounts.length;
            retryPolicy.run("insert " + count + " rows into " + table + " for SAE " + snapshot.saeId,
                    () -> clickHouse.insertRowBinary(table, COLUMNS, rows), retries::inc);
            rowsWritten.inc(count);
        }

        @Override
        public void flush(boolean endOfInput) {
            // Every write already waited for ClickHouse's acknowledgement: nothing is buffered.
        }

        @Override
        public void close() {
        }
    }

    /** Backoff from 0.5 s to 10 s, giving up after 3 minutes (long enough to ride out a ClickHouse restart). */
    public static RetryPolicy defaultRetryPolicy() {
        return new RetryPolicy(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMinutes(3));
    }
}
