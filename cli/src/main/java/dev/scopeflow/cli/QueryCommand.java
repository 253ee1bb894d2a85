package dev.scopeflow.cli;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.cluster.LocalServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;

/**
 * {@code scopeflow query "SQL"}: runs SQL through ClickHouse JDBC and prints tab-separated rows. Without
 * {@code --clickhouse} it uses the embedded server of {@code --work-dir}: the running one if the services are
 * up (the lock file says where), else it starts the server on that data just for the query.
 */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Run SQL against the results in ClickHouse.")
final class QueryCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The SQL to run, e.g. \"SELECT * FROM scopeflow.runs FINAL\".")
    String sql;

    @Option(names = "--clickhouse", description = "HTTP URL of a ClickHouse server, e.g. http://host:8123.")
    String clickHouse;

    @Option(names = "--database", defaultValue = "scopeflow", description = "Default database (default: ${DEFAULT-VALUE}).")
    String database;

    @Option(names = "--work-dir", defaultValue = ".scopeflow", description = "Work dir of the embedded services (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        if (clickHouse != null) {
            print(jdbcUrl(clickHouse, database), sql, System.out);
            return 0;
        }
        var running = LocalServices.running(workDir);
        if (running.isPresent()) {
            print(jdbcUrl(running.get().clickHouseUrl(), database), sql, System.out);
            return 0;
        }
        try (EmbeddedClickHouse server = EmbeddedClickHouse.start(workDir.resolve("clickhouse"))) {
            print(server.jdbcUrl(database), sql, System.out);
        }
        return 0;
    }

    /** The JDBC URL for the server at {@code httpUrl}, for the server's own version. */
    static String jdbcUrl(String httpUrl, String database) {
        URI uri = URI.create(httpUrl);
        String version = new ClickHouseHttp(httpUrl).query("SELECT version()").get(0).get(0);
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
