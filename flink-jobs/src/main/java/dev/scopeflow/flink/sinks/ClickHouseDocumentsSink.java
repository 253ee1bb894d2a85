package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.types.DocumentRow;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.results.DocumentsRows;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes document windows to {@code documents}. Rows are buffered and inserted when the buffer is full and at
 * every checkpoint (Flink flushes writers before the barrier), so a completed checkpoint implies its rows are
 * in ClickHouse. A replay may insert a window again; the table's ReplacingMergeTree key (run, doc, window)
 * keeps one, so the result is exact either way.
 */
public final class ClickHouseDocumentsSink implements Sink<DocumentRow> {

    private static final long serialVersionUID = 1L;
    private static final int MAX_BUFFERED_BYTES = 8 << 20;

    private final String httpUrl;
    private final ClickHouseLogin login;
    private final String database;
    private final RetryPolicy retryPolicy;

    /** {@code login} null: the server's {@code default} user. */
    public ClickHouseDocumentsSink(String httpUrl, ClickHouseLogin login, String database, RetryPolicy retryPolicy) {
        this.httpUrl = httpUrl;
        this.login = login;
        this.database = database;
        this.retryPolicy = retryPolicy;
    }

    @Override
    public SinkWriter<DocumentRow> createWriter(WriterInitContext context) {
        return new Writer(new RetryingInserter(
                ClickHouseHttp.of(httpUrl, login),
                database,
                retryPolicy,
                context.metricGroup().counter("documentWindowsWritten"),
                context.metricGroup().counter("clickhouseRetries")));
    }

    private static final class Writer implements SinkWriter<DocumentRow> {
        private final RetryingInserter inserter;
        private DocumentsRows rows = new DocumentsRows(1 << 16);

        Writer(RetryingInserter inserter) {
            this.inserter = inserter;
        }

        @Override
        public void write(DocumentRow row, Context context) throws InterruptedException {
            rows.add(row.runId, row.docId, row.windowStart, row.tokenIds, row.text);
            if (rows.bytes() >= MAX_BUFFERED_BYTES) {
                flush(false);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws InterruptedException {
            if (rows.count() == 0) {
                return; // every checkpoint flushes: keep the empty buffer
            }
            inserter.insert(rows);
            rows = new DocumentsRows(1 << 16);
        }

        @Override
        public void close() {}
    }
}
