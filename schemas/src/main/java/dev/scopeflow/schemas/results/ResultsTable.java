package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import java.util.List;

/**
 * One results table as the migrations create it: its name and its columns (name and ClickHouse type) in the
 * order rows are written. The {@code *Rows} classes of this package hold one each; local-cluster's
 * ResultsTablesITCase checks every one against {@code system.columns} after the migrations ran, so a column
 * renamed or retyped in SQL but not here fails the build.
 */
public record ResultsTable(String name, List<Column> columns) {

    /** A column: its name and its type as {@code system.columns} spells it, e.g. {@code DateTime('UTC')}. */
    public record Column(String name, String type) {}

    public ResultsTable {
        columns = List.copyOf(columns);
    }

    /** Columns given as {@code "name Type"}, in insert order. */
    static ResultsTable of(String name, String... columns) {
        return new ResultsTable(
                name,
                List.of(columns).stream()
                        .map(c -> {
                            int space = c.indexOf(' ');
                            return new Column(c.substring(0, space), c.substring(space + 1));
                        })
                        .toList());
    }

    public List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }

    /** {@code database.name}; the database must be a plain identifier, as the migrations require. */
    public String in(String database) {
        ClickHouseMigrations.validateDatabase(database);
        return database + "." + name;
    }
}
