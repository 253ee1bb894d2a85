package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows of one small results table (a registry or progress row at a time) sent as TabSeparated text, which
 * handles its DateTime and Array(String) columns. Each subclass has one typed {@code add} whose parameters
 * follow its table's column order. Not thread-safe.
 */
public abstract sealed class TsvRows
        permits RunsRows,
                SaesRows,
                RunProgressRows,
                RunSitesRows,
                RunCorpusRows,
                WorkerProgressRows,
                SiteProgressRows,
                StorePoliciesRows,
                DownstreamStatsRows {

    private final ResultsTable table;
    private final List<List<Object>> rows = new ArrayList<>();

    TsvRows(ResultsTable table) {
        this.table = table;
    }

    final void addRow(Object... values) {
        if (values.length != table.columns().size()) {
            throw new IllegalStateException(table.name() + ": a row of " + values.length + " values for "
                    + table.columns().size() + " columns");
        }
        rows.add(List.of(values));
    }

    public final ResultsTable table() {
        return table;
    }

    /** The rows so far, each in column order. */
    public final List<List<Object>> rows() {
        return List.copyOf(rows);
    }

    /** Inserts the rows into {@code database}'s table; returns once the server has written them. */
    public final void insertInto(ClickHouseHttp clickHouse, String database) {
        clickHouse.insert(table.in(database), table.columnNames(), rows);
    }
}
