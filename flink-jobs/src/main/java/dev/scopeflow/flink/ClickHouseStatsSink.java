package dev.scopeflow.flink;

import dev.scopeflow.sae.FeatureStats;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.RowBinaryWriter;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link SaeStatsSnapshot}s to ClickHouse in two phases. The writer keeps the newest snapshot per
 * (run, SAE) and hands it over at each checkpoint barrier; the committer writes it only after that checkpoint
 * completed, so ClickHouse never shows numbers from state a failure could roll back. Commits are idempotent
 * (rows versioned by tokens counted in ReplacingMergeTree tables), so re-committing after a restart is
 * harmless, and each commit waits for ClickHouse's answer, retrying with backoff while it is unreachable.
 */
public final class ClickHouseStatsSink implements Sink<SaeStatsSnapshot>, SupportsCommitter<SaeStatsSnapshot> {

    private static final long serialVersionUID = 1L;
    static final List<String> FEATURE_COLUMNS =
            List.of("run_id", "sae_id", "feature", "n_tokens", "fire_count", "act_sum", "act_max", "version");

    private final String httpUrl;
    private final String database;
    private final RetryPolicy retryPolicy;

    public ClickHouseStatsSink(String httpUrl, String database, RetryPolicy retryPolicy) {
        this.httpUrl = httpUrl;
        this.database = database;
        this.retryPolicy = retryPolicy;
    }

    /** Backoff from 0.5 s to 10 s, giving up after 3 minutes (long enough to ride out a ClickHouse restart). */
    public static RetryPolicy defaultRetryPolicy() {
        return new RetryPolicy(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMinutes(3));
    }

    @Override
    public CommittingSinkWriter<SaeStatsSnapshot, SaeStatsSnapshot> createWriter(WriterInitContext context) {
        return new LatestSnapshotWriter();
    }

    @Override
    public Committer<SaeStatsSnapshot> createCommitter(CommitterInitContext context) {
        Counter rows = context.metricGroup().counter("featureStatsRowsCommitted");
        Counter retries = context.metricGroup().counter("clickhouseRetries");
        return new StatsCommitter(new ClickHouseHttp(httpUrl), database, retryPolicy, rows, retries);
    }

    @Override
    public SimpleVersionedSerializer<SaeStatsSnapshot> getCommittableSerializer() {
        return new SaeStatsSnapshotSerializer();
    }

    /** One RowBinary row per feature of the snapshot, in the order of {@link #FEATURE_COLUMNS}. */
    static RowBinaryWriter featureRows(SaeStatsSnapshot s) {
        FeatureStats stats = FeatureStats.fromBytes(s.featureStats);
        RowBinaryWriter rows = new RowBinaryWriter(stats.dSae() * (s.runId.length() + s.saeId.length() + 46));
        for (int f = 0; f < stats.dSae(); f++) {
            rows.string(s.runId).string(s.saeId).uint32(f).uint64(stats.tokens()).uint64(stats.fireCount(f))
                    .float64(stats.sum(f)).float32(stats.max(f)).uint64(s.version);
        }
        return rows;
    }

    /** Keeps only the newest snapshot per (run, SAE) between checkpoints: older ones are subsumed. */
    private static final class LatestSnapshotWriter implements CommittingSinkWriter<SaeStatsSnapshot, SaeStatsSnapshot> {
        private final Map<String, SaeStatsSnapshot> pending = new LinkedHashMap<>();

        @Override
        public void write(SaeStatsSnapshot snapshot, Context context) {
            pending.merge(snapshot.key(), snapshot, (old, now) -> now.version >= old.version ? now : old);
        }

        @Override
        public Collection<SaeStatsSnapshot> prepareCommit() {
            List<SaeStatsSnapshot> ready = new ArrayList<>(pending.values());
            pending.clear();
            return ready;
        }

        @Override
        public void flush(boolean endOfInput) {
        }

        @Override
        public void close() {
        }
    }

    private static final class StatsCommitter implements Committer<SaeStatsSnapshot> {
        private final ClickHouseHttp clickHouse;
        private final String featureTable;
        private final RetryPolicy retryPolicy;
        private final Counter rowsCommitted;
        private final Counter retries;

        StatsCommitter(ClickHouseHttp clickHouse, String database, RetryPolicy retryPolicy, Counter rowsCommitted,
                       Counter retries) {
            this.clickHouse = clickHouse;
            this.featureTable = database + ".feature_stats";
            this.retryPolicy = retryPolicy;
            this.rowsCommitted = rowsCommitted;
            this.retries = retries;
        }

        @Override
        public void commit(Collection<CommitRequest<SaeStatsSnapshot>> requests) throws InterruptedException {
            for (CommitRequest<SaeStatsSnapshot> request : requests) {
                SaeStatsSnapshot s = request.getCommittable();
                RowBinaryWriter rows = featureRows(s);
                retryPolicy.run("commit statistics of SAE " + s.saeId + " (run " + s.runId + ", " + s.version
                        + " tokens) to " + featureTable, () -> clickHouse.insertRowBinary(featureTable, FEATURE_COLUMNS, rows),
                        retries::inc);
                rowsCommitted.inc(FeatureStats.fromBytes(s.featureStats).dSae());
            }
        }

        @Override
        public void close() {
        }
    }
}
