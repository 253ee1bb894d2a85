package dev.scopeflow.flink;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.RowBinaryWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;

import java.util.List;

/**
 * Writes document windows to {@code documents}. Rows are buffered and inserted when the buffer is full and at
 * every checkpoint (Flink flushes writers before the barrier), so a completed checkpoint implies its rows are
 * in ClickHouse. A replay may insert a window again; the table's ReplacingMergeTree key (run, doc, window)
 * keeps one, so the result is exact either way.
 */
public final class ClickHouseDocumentsSink implements Sink<DocumentRow> {

    private static final long serialVersionUID = 1L;
    private static final List<String> COLUMNS = List.of("run_id", "doc_id", "window_start", "token_ids", "text");
    private static final int MAX_BUFFERED_BYTES = 8 << 20;

    private final String httpUrl;
    private final String database;
    private final RetryPolicy retryPolicy;

    public ClickHouseDocumentsSink(String httpUrl, String database, RetryPolicy retryPolicy) {
        this.httpUrl = httpUrl;
        this.database = database;
        this.retryPolicy = retryPolicy;
    }

    @Override
    public SinkWriter<DocumentRow> createWriter(WriterInitContext context) {
        return new Writer(new ClickHouseHttp(httpUrl), database + ".documents", retryPolicy,
                context.metricGroup().counter("documentWindowsWritten"), context.metricGroup().counter("clickhouseRetries"));
    }

    private static final class Writer implements SinkWriter<DocumentRow> {
        private final ClickHouseHttp clickHouse;
        private final String table;
        private final RetryPolicy retryPolicy;
        private final Counter written;
        private final Counter retries;
        private RowBinaryWriter rows = new RowBinaryWriter(1 << 16);
        private int buffered;

        Writer(ClickHouseHttp clickHouse, String table, RetryPolicy retryPolicy, Counter written, Counter retries) {
            this.clickHouse = clickHouse;
            this.table = table;
            this.retryPolicy = retryPolicy;
            this.written = written;
            this.retries = retries;
        }

        @Override
        public void write(DocumentRow row, Context context) throws InterruptedException {
            rows.string(row.runId).int64(row.docId).uint32(row.windowStart).int32Array(row.tokenIds).string(row.text);
            buffered++;
            if (rows.size() >= MAX_BUFFERED_BYTES) {
                flush(false);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws InterruptedException {
            if (buffered == 0) {
                return;
            }
            RowBinaryWriter batch = rows;
            retryPolicy.run("insert " + buffered + " document windows into " + table,
                    () -> clickHouse.insertRowBinary(table, COLUMNS, batch), retries::inc);
            written.inc(buffered);
            rows = new RowBinaryWriter(1 << 16);
            buffered = 0;
        }

        @Override
        public void close() {
        }
    }
}
