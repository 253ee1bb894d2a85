package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.VersionedSnapshot;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;

/**
 * Writes {@link VersionedSnapshot}s to ClickHouse in two phases. The writer keeps the newest snapshot per key
 * and hands it over at each checkpoint barrier; the committer writes it only after that checkpoint completed,
 * so ClickHouse never shows numbers from state a failure could roll back. Writes are idempotent (rows
 * versioned in ReplacingMergeTree tables), so re-committing after a restart is harmless, and each commit waits
 * for ClickHouse's answer, retrying with backoff while it is unreachable.
 */
public final class ClickHouseSnapshotSink<T extends VersionedSnapshot> implements Sink<T>, SupportsCommitter<T> {

    private static final long serialVersionUID = 1L;

    /** Writes one snapshot's rows into the database's tables; must be idempotent for a given snapshot. */
    @FunctionalInterface
    public interface TableWriter<T> extends Serializable {
        void write(ClickHouseHttp clickHouse, String database, T snapshot);
    }

    private final String httpUrl;
    private final ClickHouseLogin login;
    private final String database;
    private final RetryPolicy retryPolicy;
    private final TableWriter<T> tableWriter;
    private final SimpleVersionedSerializer<T> committableSerializer;

    public ClickHouseSnapshotSink(
            String httpUrl,
            ClickHouseLogin login,
            String database,
            RetryPolicy retryPolicy,
            TableWriter<T> tableWriter,
            SimpleVersionedSerializer<T> committableSerializer) {
        if (!(committableSerializer instanceof Serializable)) {
            throw new IllegalArgumentException("the committable serializer travels with the job graph: make "
                    + committableSerializer.getClass().getName() + " Serializable");
        }
        this.httpUrl = httpUrl;
        this.login = login;
        this.database = database;
        this.retryPolicy = retryPolicy;
        this.tableWriter = tableWriter;
        this.committableSerializer = committableSerializer;
    }

    /** Backoff from 0.5 s to 10 s, giving up after 3 minutes (long enough to ride out a ClickHouse restart). */
    public static RetryPolicy defaultRetryPolicy() {
        return new RetryPolicy(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMinutes(3));
    }

    @Override
    public CommittingSinkWriter<T, T> createWriter(WriterInitContext context) {
        return new LatestSnapshotWriter<>();
    }

    @Override
    public Committer<T> createCommitter(CommitterInitContext context) {
        Counter commits = context.metricGroup().counter("snapshotsCommitted");
        Counter retries = context.metricGroup().counter("clickhouseRetries");
        return new SnapshotCommitter<>(
                ClickHouseHttp.of(httpUrl, login), database, retryPolicy, tableWriter, commits, retries);
    }

    @Override
    public SimpleVersionedSerializer<T> getCommittableSerializer() {
        return committableSerializer;
    }

    /** Keeps only the newest snapshot per key between checkpoints: older ones are subsumed. */
    private static final class LatestSnapshotWriter<T extends VersionedSnapshot> implements CommittingSinkWriter<T, T> {
        private final Map<String, T> pending = new LinkedHashMap<>();

        @Override
        public void write(T snapshot, Context context) {
            pending.merge(snapshot.key(), snapshot, (old, now) -> now.version() >= old.version() ? now : old);
        }

        @Override
        public Collection<T> prepareCommit() {
            List<T> ready = new ArrayList<>(pending.values());
            pending.clear();
            return ready;
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }

    private static final class SnapshotCommitter<T extends VersionedSnapshot> implements Committer<T> {
        private final ClickHouseHttp clickHouse;
        private final String database;
        private final RetryPolicy retryPolicy;
        private final TableWriter<T> tableWriter;
        private final Counter commits;
        private final Counter retries;

        SnapshotCommitter(
                ClickHouseHttp clickHouse,
                String database,
                RetryPolicy retryPolicy,
                TableWriter<T> tableWriter,
                Counter commits,
                Counter retries) {
            this.clickHouse = clickHouse;
            this.database = database;
            this.retryPolicy = retryPolicy;
            this.tableWriter = tableWriter;
            this.commits = commits;
            this.retries = retries;
        }

        @Override
        public void commit(Collection<CommitRequest<T>> requests) throws InterruptedException {
            for (CommitRequest<T> request : requests) {
                T snapshot = request.getCommittable();
                retryPolicy.run(
                        "commit " + snapshot.key().replace('\u0000', '/') + " version " + snapshot.version()
                                + " to ClickHouse database " + database,
                        () -> tableWriter.write(clickHouse, database, snapshot),
                        retries::inc);
                commits.inc();
            }
        }

        @Override
        public void close() {}
    }
}
