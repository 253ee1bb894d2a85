package dev.scopeflow.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How {@code scopeflow query} prints a result: the one formatter for SQL and named queries. Rows arrive one at a
 * time ({@link Writer#row}); every format but {@link #TABLE} (which needs all rows for its column widths) writes
 * each as it comes, so a large SQL result is not held in memory.
 *
 * <ul>
 *   <li>{@code tsv}: ClickHouse's TabSeparatedWithNames (fields escaped, NULL as {@code \N}).
 *   <li>{@code table}: aligned columns under a header and a rule, numbers right-aligned, NULL as {@code NULL}.
 *   <li>{@code csv}: RFC 4180 with a header line; a field with a comma, quote or line break is quoted; NULL empty.
 *   <li>{@code json}: one array of objects, column name → value; numeric columns as JSON numbers (non-finite
 *       floats as strings), NULL as null, everything else as strings.
 * </ul>
 */
enum ResultFormat {
    TSV,
    TABLE,
    CSV,
    JSON;

    /** ClickHouse's numeric types, possibly Nullable or LowCardinality. */
    private static final Pattern NUMERIC =
            Pattern.compile("(Nullable\\(|LowCardinality\\()*(U?Int\\d+|Float\\d+|Decimal.*)\\)*");

    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** Receives the rows of one result; {@link #finish} ends the output. */
    interface Writer {
        void row(List<String> values);

        void finish();
    }

    /** Prints a whole result; returns its row count. */
    long print(QueryResult result, PrintStream out) {
        Writer writer = writer(result.columns(), result.types(), out);
        result.rows().forEach(writer::row);
        writer.finish();
        return result.rows().size();
    }

    /** A writer for rows with these column names and ClickHouse types. */
    Writer writer(List<String> columns, List<String> types, PrintStream out) {
        boolean[] numeric = new boolean[types.size()];
        for (int c = 0; c < numeric.length; c++) {
            numeric[c] = NUMERIC.matcher(types.get(c)).matches();
        }
        return switch (this) {
            case TSV -> new Lines(out, columns, "\t", v -> v == null ? ClickHouseTsv.NULL : ClickHouseTsv.escape(v));
            case CSV -> new Lines(out, columns, ",", ResultFormat::csvField);
            case TABLE -> new Table(out, columns, numeric);
            case JSON -> new Json(out, columns, numeric);
        };
    }

    static ResultFormat parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format must be tsv, table, csv or json, got '" + name + "'");
        }
    }

    /** RFC 4180: quoted when it holds a comma, a quote or a line break. */
    static String csvField(String value) {
        if (value == null) {
            return "";
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    /** A header line and one line per row, fields joined by a separator. */
    private record Lines(PrintStream out, List<String> columns, String separator, Field field) implements Writer {
        interface Field {
            String text(String value);
        }

        Lines {
            line(out, columns, separator, field);
        }

        @Override
        public void row(List<String> values) {
            line(out, values, separator, field);
        }

        @Override
        public void finish() {
            out.flush();
        }

        private static void line(PrintStream out, List<String> values, String separator, Field field) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < values.size(); c++) {
                line.append(c > 0 ? separator : "").append(field.text(values.get(c)));
            }
            out.println(line);
        }
    }

    private static final class Table implements Writer {
        private final PrintStream out;
        private final List<String> columns;
        private final boolean[] numeric;
        private final List<List<String>> rows = new ArrayList<>();

        Table(PrintStream out, List<String> columns, boolean[] numeric) {
            this.out = out;
            this.columns = columns;
            this.numeric = numeric;
        }

        @Override
        public void row(List<String> values) {
            rows.add(values.stream().map(v -> v == null ? "NULL" : v).toList());
        }

        @Override
        public void finish() {
            int[] widths = new int[columns.size()];
            for (int c = 0; c < widths.length; c++) {
                widths[c] = columns.get(c).length();
                for (List<String> row : rows) {
                    widths[c] = Math.max(widths[c], row.get(c).length());
                }
            }
            print(columns, widths);
            StringBuilder rule = new StringBuilder();
            for (int c = 0; c < widths.length; c++) {
                rule.append(c > 0 ? "  " : "").append("-".repeat(widths[c]));
            }
            out.println(rule);
            rows.forEach(row -> print(row, widths));
            out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
            out.flush();
        }

        private void print(List<String> values, int[] widths) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < values.size(); c++) {
                String value = values.get(c).replace("\n", "\\n").replace("\t", "\\t");
                String pad = " ".repeat(Math.max(0, widths[c] - value.length()));
                line.append(c > 0 ? "  " : "").append(numeric[c] ? pad + value : value + pad);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** {@code [}, one object per line, {@code ]}: readable, and still one JSON document. */
    private static final class Json implements Writer {
        private static final JsonFactory FACTORY = new JsonFactory();
        private final PrintStream out;
        private final List<String> columns;
        private final boolean[] numeric;
        private boolean first = true;

        Json(PrintStream out, List<String> columns, boolean[] numeric) {
            this.out = out;
            this.columns = columns;
            this.numeric = numeric;
            out.print('[');
        }

        @Override
        public void row(List<String> values) {
            StringWriter object = new StringWriter();
            try (JsonGenerator json = FACTORY.createGenerator(object)) {
                json.writeStartObject();
                for (int c = 0; c < values.size(); c++) {
                    String value = values.get(c);
                    json.writeFieldName(columns.get(c));
                    if (value == null) {
                        json.writeNull();
                    } else if (numeric[c] && JSON_NUMBER.matcher(value).matches()) {
                        json.writeNumber(value);
                    } else {
                        json.writeString(value);
                    }
                }
                json.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.print(first ? "\n" : ",\n");
            out.print(object);
            first = false;
        }

        @Override
        public void finish() {
            out.println(first ? "]" : "\n]");
            out.flush();
        }
    }
}
