package dev.scopeflow.cli;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.PrintStream;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code scopeflow query "SQL"}: runs one SQL statement through ClickHouse JDBC and prints tab-separated rows.
 * ClickHouse comes from {@link ServiceOptions}: {@code --clickhouse}, the services running from
 * {@code --work-dir}, or the embedded server started on that data just for the query. It only reads unless told
 * {@code --allow-writes}: as the embedded server's read-only user (or with {@code readonly=2} on a server given
 * with one user), after {@link QuerySql} refused writes and multi-statement text. No migrations.
 */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Run SQL against the results in ClickHouse.")
final class QueryCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.reading(Service.CLICKHOUSE);

    @Option(
            names = "--allow-writes",
            description = "Allow one statement that changes data or tables (INSERT, CREATE, DROP, ...), run as the"
                    + " writing user. Default: read-only.")
    boolean allowWrites;

    @Parameters(index = "0", description = "The SQL to run, e.g. \"SELECT * FROM scopeflow.runs FINAL\".")
    String sql;

    @Override
    public Integer call() throws Exception {
        QuerySql.check(sql, allowWrites);
        // stdout carries only the rows; where ClickHouse came from goes to stderr.
        try (Services resolved = services.resolve(System.err)) {
            ClickHouseLogin login = allowWrites ? resolved.clickHouseWriter() : resolved.clickHouseReader();
            // A server given with one (possibly writing) user: the server holds this query to read-only too.
            boolean forceReadOnly = !allowWrites && !resolved.hasReadOnlyUser();
            print(jdbcUrl(resolved.clickHouseUrl(), login, resolved.database(), forceReadOnly), login, sql, System.out);
        }
        return 0;
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
     * Runs {@code sql} as {@code login} (null: the default user) and prints a header line and one tab-separated
     * line per row; returns the row count.
     */
    public static long print(String jdbcUrl, ClickHouseLogin login, String sql, PrintStream out) throws SQLException {
        try (Connection connection = login == null
                        ? DriverManager.getConnection(jdbcUrl)
                        : DriverManager.getConnection(jdbcUrl, EmbeddedClickHouse.jdbcLogin(login));
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rs.getMetaData();
            StringBuilder line = new StringBuilder();
            for (int c = 1; c <= meta.getColumnCount(); c++) {
                line.append(c > 1 ? "\t" : "").append(meta.getColumnLabel(c));
            }
            out.println(line);
            long rows = 0;
            while (rs.next()) {
                line.setLength(0);
                for (int c = 1; c <= meta.getColumnCount(); c++) {
                    line.append(c > 1 ? "\t" : "").append(rs.getString(c));
                }
                out.println(line);
                rows++;
            }
            return rows;
        }
    }
}
