package dev.scopeflow.cli;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.NamedQuery;
import java.io.PrintStream;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code scopeflow query "SQL"}: runs one SQL statement through ClickHouse JDBC and prints its rows;
 * {@code scopeflow query --named NAME --param k=v ...} runs one of schemas' {@link NamedQueries} over the activation
 * store instead, and {@code --list-named} lists them with their parameters. Rows are printed by {@link ResultFormat}
 * ({@code --format}: tsv by default for SQL, table for named queries). ClickHouse comes from {@link ServiceOptions}:
 * {@code --clickhouse}, the services running from {@code --work-dir}, or the embedded server started on that data
 * just for the query. It only reads unless told {@code --allow-writes}: as the embedded server's read-only user (or
 * with {@code readonly=2} on a server given with one user), after {@link QuerySql} refused writes and
 * multi-statement text. No migrations.
 */
@Command(
        name = "query",
        mixinStandardHelpOptions = true,
        description = "Run SQL, or a named query (--named, --list-named), against the results in ClickHouse.")
final class QueryCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.reading(Service.CLICKHOUSE);

    @Option(
            names = "--allow-writes",
            description = "Allow one statement that changes data or tables (INSERT, CREATE, DROP, ...), run as the"
                    + " writing user. Default: read-only.")
    boolean allowWrites;

    @Option(
            names = "--named",
            paramLabel = "NAME",
            description = "Run a named query over the activation store instead of SQL (see --list-named).")
    String named;

    @Option(
            names = "--param",
            paramLabel = "KEY=VALUE",
            description = "A named query's parameter, e.g. --param run=demo --param feature=42 (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--list-named", description = "List the named queries with their parameters, then exit.")
    boolean listNamed;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description = "tsv, table, csv or json (default: tsv for SQL, table for --named).")
    String format;

    @Parameters(
            index = "0",
            arity = "0..1",
            description = "The SQL to run, e.g. \"SELECT * FROM scopeflow.runs FINAL\".")
    String sql;

    @Override
    public Integer call() throws Exception {
        if (listNamed) {
            if (sql != null || named != null) {
                throw new IllegalArgumentException("--list-named takes no SQL and no --named");
            }
            listNamed(System.out);
            return 0;
        }
        if ((sql == null) == (named == null)) {
            throw new IllegalArgumentException("query needs either SQL or --named NAME (see --list-named), not "
                    + (sql == null ? "neither" : "both"));
        }
        ResultFormat output =
                format == null ? (named == null ? ResultFormat.TSV : ResultFormat.TABLE) : ResultFormat.parse(format);
        if (named != null) {
            if (allowWrites) {
                throw new IllegalArgumentException("--allow-writes is for SQL; named queries only read");
            }
            NamedQuery query = NamedQueries.named(named);
            query.arguments(params); // a bad parameter fails before any server is started
            try (Services resolved = services.resolve(System.err)) {
                output.print(
                        named(
                                resolved.clickHouseUrl(),
                                resolved.clickHouseReader(),
                                resolved.database(),
                                query,
                                params),
                        System.out);
            }
            return 0;
        }
        if (!params.isEmpty()) {
            throw new IllegalArgumentException("--param is for --named queries; SQL takes its values inline");
        }
        QuerySql.check(sql, allowWrites);
        // stdout carries only the rows; where ClickHouse came from goes to stderr.
        try (Services resolved = services.resolve(System.err)) {
            ClickHouseLogin login = allowWrites ? resolved.clickHouseWriter() : resolved.clickHouseReader();
            // A server given with one (possibly writing) user: the server holds this query to read-only too.
            boolean forceReadOnly = !allowWrites && !resolved.hasReadOnlyUser();
            print(
                    jdbcUrl(resolved.clickHouseUrl(), login, resolved.database(), forceReadOnly),
                    login,
                    sql,
                    output,
                    System.out);
        }
        return 0;
    }

    /** Runs a named query as {@code login} (null: the default user); arguments are checked by the query. */
    public static QueryResult named(
            String httpUrl, ClickHouseLogin login, String database, NamedQuery query, Map<String, String> arguments) {
        return query.run(ClickHouseHttp.of(httpUrl, login), database, arguments);
    }

    /** Every named query: its name and description, then one line per parameter with its type and default. */
    static void listNamed(PrintStream out) {
        for (NamedQuery query : NamedQueries.all()) {
            out.println(query.name() + ": " + query.description());
            for (NamedQuery.Parameter p : query.parameters()) {
                String use = "--param " + p.name() + "=<" + p.type().label() + ">";
                out.println("    " + use + " ".repeat(Math.max(1, 34 - use.length())) + p.description()
                        + (p.required() ? " (required)" : " (default " + p.defaultValue() + ")"));
            }
        }
    }

    /** The JDBC URL for the server at {@code httpUrl}, for the server's own version. */
    static String jdbcUrl(String httpUrl, ClickHouseLogin login, String database, boolean readOnly) {
        URI uri = URI.create(httpUrl);
        String version = ClickHouseHttp.of(httpUrl, login)
                .query("SELECT version()")
                .get(0)
                .get(0);
        String url =
                EmbeddedClickHouse.jdbcUrl(uri.getHost(), uri.getPort() < 0 ? 8123 : uri.getPort(), database, version);
        // One more of the custom_http_params the URL ends with (",readonly=2").
        return readOnly ? url + "%2Creadonly%3D2" : url;
    }

    /**
     * Runs {@code sql} as {@code login} (null: the default user) and prints its column names and rows in
     * {@code format}, row by row as they arrive (but for the table format); returns the row count.
     */
    public static long print(String jdbcUrl, ClickHouseLogin login, String sql, ResultFormat format, PrintStream out)
            throws SQLException {
        try (Connection connection = login == null
                        ? DriverManager.getConnection(jdbcUrl)
                        : DriverManager.getConnection(jdbcUrl, EmbeddedClickHouse.jdbcLogin(login));
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rs.getMetaData();
            List<String> columns = new ArrayList<>();
            List<String> types = new ArrayList<>();
            for (int c = 1; c <= meta.getColumnCount(); c++) {
                columns.add(meta.getColumnLabel(c));
                types.add(meta.getColumnTypeName(c));
            }
            ResultFormat.Writer writer = format.writer(columns, types, out);
            long rows = 0;
            while (rs.next()) {
                List<String> row = new ArrayList<>(columns.size());
                for (int c = 1; c <= columns.size(); c++) {
                    row.add(rs.getString(c));
                }
                writer.row(row);
                rows++;
            }
            writer.finish();
            return rows;
        }
    }
}
