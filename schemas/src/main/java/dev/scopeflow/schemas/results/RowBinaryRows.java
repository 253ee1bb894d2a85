package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.RowBinaryWriter;

/**
 * Rows of one results table in RowBinary, so floats arrive bit-exact on every ClickHouse version. Each subclass
 * has one typed {@code add} whose parameters follow its table's column order: a sink cannot get the order wrong.
 * Not thread-safe.
 */
public abstract sealed class RowBinaryRows
        permits FeatureStatsRows,
                TopExamplesRows,
                FeatureHistogramsRows,
                IntervalSamplesRows,
                ReconstructionStatsRows,
                DocumentsRows,
                FeatureActivationsRows,
                FeatureActivationsByTokenRows {

    private final ResultsTable table;
    private final RowBinaryWriter out;
    private int count;

    RowBinaryRows(ResultsTable table, int initialBytes) {
        this.table = table;
        this.out = new RowBinaryWriter(initialBytes);
    }

    /** The writer for the next row; the caller writes exactly one row in column order. */
    final RowBinaryWriter nextRow() {
        count++;
        return out;
    }

    public final ResultsTable table() {
        return table;
    }

    public final int count() {
        return count;
    }

    /** Bytes buffered so far. */
    public final int bytes() {
        return out.size();
    }

    public final byte[] toByteArray() {
        return out.toByteArray();
    }

    /** Inserts the rows into {@code database}'s table; returns once the server has written them. */
    public final void insertInto(ClickHouseHttp clickHouse, String database) {
        clickHouse.insertRowBinary(table.in(database), table.columnNames(), out);
    }
}
