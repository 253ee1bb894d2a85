package dev.scopeflow.schemas.clickhouse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A query's answer as text: column names, their ClickHouse types ({@code UInt32}, {@code Float32}, ...) and the
 * rows, each field as {@link ClickHouseHttp#query} returns it (a row's list may hold {@code null} for NULL).
 */
public record QueryResult(List<String> columns, List<String> types, List<List<String>> rows) {

    public QueryResult {
        columns = List.copyOf(columns);
        types = List.copyOf(types);
        if (columns.size() != types.size()) {
            throw new IllegalArgumentException(columns.size() + " column names but " + types.size() + " types");
        }
        List<List<String>> copied = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException(
                        "a row has " + row.size() + " fields, expected " + columns.size() + " " + columns);
            }
            copied.add(Collections.unmodifiableList(new ArrayList<>(row))); // NULL fields are nulls
        }
        rows = Collections.unmodifiableList(copied);
    }
}
