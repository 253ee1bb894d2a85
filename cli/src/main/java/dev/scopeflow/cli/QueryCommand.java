package dev.scopeflow.cli;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
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
import picocli.CommandLine.Parameters;

/**
 * {@code scopeflow query "SQL"}: runs SQL through ClickHouse JDBC and prints tab-separated rows. ClickHouse
 * comes from {@link ServiceOptions}: {@code --clickhouse}, the services running from {@code --work-dir}, or the
 * embedded server started on that data just for the query. It only reads: no migrations.
 */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Run SQL against the results in ClickHouse.")
final class QueryCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.reading(Service.CLICKHOUSE);

    @Parameters(index = "0", description = "The SQL to run, e.g. \"SELECT * FROM scopeflow.runs FINAL\".")
    String sql;

    @Override
    public Integer call() throws Exception {
        // stdout carries only the rows; where ClickHouse came from goes to stderr.
        try (Services resolved = services.resolve(System.err)) {
            print(jdbcUrl(resolved.clickHouseUrl(), resolved.database()), sql, System.out);
        }
        return 0;
    }

    /** The JDBC URL for the server at {@code httpUrl}, for the server's own version. */
    static String jdbcUrl(String httpUrl, String database) {
        URI uri = URI.create(httpUrl);
        String version =
                new ClickHouseHttp(httpUrl).query("SELECT version()").get(0).get(0);
        return EmbeddedClickHouse.jdbcUrl(uri.getHost(), uri.getPort() < 0 ? 8123 : uri.getPort(), database, version);
    }

    /** Runs {@code sql} and prints a header line and one tab-separated line per row; returns the row count. */
    public static long print(String jdbcUrl, String sql, PrintStream out) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl);
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
