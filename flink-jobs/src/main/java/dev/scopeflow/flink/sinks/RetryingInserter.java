package dev.scopeflow.flink.sinks;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.RowBinaryRows;
import org.apache.flink.metrics.Counter;

/**
 * Inserts a buffer of rows under the sink's {@link RetryPolicy}, counting the rows written and the retries: the
 * one flush of the append-only sinks (document windows, the activation store), whose rows a replay rewrites
 * identically.
 */
final class RetryingInserter {

    private final ClickHouseHttp clickHouse;
    private final String database;
    private final RetryPolicy retryPolicy;
    private final Counter written;
    private final Counter retries;

    RetryingInserter(
            ClickHouseHttp clickHouse, String database, RetryPolicy retryPolicy, Counter written, Counter retries) {
        this.clickHouse = clickHouse;
        this.database = database;
        this.retryPolicy = retryPolicy;
        this.written = written;
        this.retries = retries;
    }

    /** Returns once ClickHouse has the rows; throws when the policy gives up (the job then restarts). */
    void insert(RowBinaryRows rows) throws InterruptedException {
        insertUncounted(rows);
        written.inc(rows.count());
    }

    /**
     * {@link #insert} of {@code rows}, then of {@code copy}, the same data in another table's layout: counted
     * once, as {@code rows}.
     */
    void insert(RowBinaryRows rows, RowBinaryRows copy) throws InterruptedException {
        insertUncounted(rows);
        insertUncounted(copy);
        written.inc(rows.count());
    }

    private void insertUncounted(RowBinaryRows rows) throws InterruptedException {
        retryPolicy.run(
                "insert " + rows.count() + " rows into " + rows.table().in(database),
                () -> rows.insertInto(clickHouse, database),
                retries::inc);
    }
}
