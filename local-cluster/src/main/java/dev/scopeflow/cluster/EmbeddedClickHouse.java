package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.Properties;

/**
 * A real ClickHouse server process on 127.0.0.1, with its config, data and logs under one
 * directory. The binary comes from PATH, the per-user cache, or a fetch of Debian's 18.16 packages
 * (see {@code infra/local/fetch-clickhouse.sh}). The process is tracked directly (18.16 ignores
 * {@code --pid-file}), so {@link #kill()} and {@link #restart()} can simulate an outage.
 *
 * <pre>{@code
 * try (EmbeddedClickHouse clickHouse = EmbeddedClickHouse.start(workDir)) {
 *   String url = clickHouse.jdbcUrl("scopeflow");
 * }
 * }</pre>
 */
public final class EmbeddedClickHouse implements AutoCloseable {

    /** The version whose quirks the JDBC URL works around (ARCHITECTURE.md §3). */
    static final String LEGACY_SERVER_VERSION = "18.16.1";

    private static final String PID_FILE = "clickhouse.pid";

    private final ClickHouseConfig config;
    private final ClickHouseUsers users;
    private final ChildProcess process;
    private final Duration startupTimeout;
    private String serverVersion = LEGACY_SERVER_VERSION;

    private EmbeddedClickHouse(
            ClickHouseConfig config, ClickHouseUsers users, ClickHouseBinary binary, Duration startupTimeout) {
        this.config = config;
        this.users = users;
        this.startupTimeout = startupTimeout;
        this.process = new ChildProcess(
                "clickhouse",
                binary.command(config.configFile()),
                binary.environment(),
                config.dir(),
                config.consoleLog(),
                Duration.ofSeconds(15));
    }

    /** Starts a server in {@code workDir} on free ports. */
    public static EmbeddedClickHouse start(Path workDir) {
        return builder().workDir(workDir).start();
    }

    /** Starts a server in {@code workDir} on the given ports. */
    public static EmbeddedClickHouse start(Path workDir, int httpPort, int tcpPort) {
        return builder().workDir(workDir).httpPort(httpPort).tcpPort(tcpPort).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code http://127.0.0.1:<httpPort>}, for plain HTTP queries. */
    public String httpUrl() {
        return "http://" + Ports.LOOPBACK + ":" + config.httpPort();
    }

    /** The user for migrations, the job and other writers; its password is in the work dir. */
    public ClickHouseLogin writer() {
        return users.writer();
    }

    /** The read-only user, for {@code query} and the dashboard. */
    public ClickHouseLogin reader() {
        return users.reader();
    }

    /** An HTTP client logged in as {@link #writer()}. */
    public ClickHouseHttp http() {
        return ClickHouseHttp.of(httpUrl(), writer());
    }

    /** A JDBC connection to {@code database} ({@link #jdbcUrl}) as {@link #writer()}. */
    public Connection jdbc(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), jdbcLogin(writer()));
    }

    /** The JDBC connection properties that log in as {@code login}. */
    public static Properties jdbcLogin(ClickHouseLogin login) {
        Properties properties = new Properties();
        properties.setProperty("user", login.user());
        properties.setProperty("password", login.password());
        return properties;
    }

    public int httpPort() {
        return config.httpPort();
    }

    public int tcpPort() {
        return config.tcpPort();
    }

    /** The directory holding config, data and logs. */
    public Path workDir() {
        return config.dir();
    }

    /** The server's own {@code SELECT version()}, e.g. "18.16.1". */
    public String serverVersion() {
        return serverVersion;
    }

    /** Pid of the server process (it must have been started). */
    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /**
     * A clickhouse-jdbc 0.9.9 URL for {@code database}, without credentials (pass a login's user and password as
     * connection properties, so they never show up where the URL is printed). Against 18.16 the driver only works on its
     * legacy (v1) path, told the server version up front, with text formats and no compression
     * (18.16 answers {@code compress=1} with empty bodies). The database also travels as an HTTP
     * parameter: the legacy path would otherwise run every unqualified statement in {@code
     * default}.
     */
    public String jdbcUrl(String database) {
        return jdbcUrl(Ports.LOOPBACK, config.httpPort(), database, serverVersion);
    }

    public static String jdbcUrl(String host, int httpPort, String database, String serverVersion) {
        Objects.requireNonNull(database, "database");
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("Not a plain ClickHouse database name: '" + database + "'");
        }
        return "jdbc:clickhouse://"
                + host
                + ":"
                + httpPort
                + "/"
                + database
                + "?clickhouse.jdbc.v1=true"
                + "&server_version="
                + serverVersion
                + "&server_time_zone=UTC&format=TabSeparatedWithNamesAndTypes"
                + "&compress=false&decompress=false&widen_unsigned_types=true"
                + "&custom_http_params=default_format%3DTabSeparatedWithNamesAndTypes%2Cmax_query_size%3D268435456"
                // The legacy path reads the database from the URL path but never sends it to the
                // server.
                + "%2Cdatabase%3D"
                + database;
    }

    /** Stops the server gracefully (SIGTERM, then SIGKILL after 15 s). Data stays. Idempotent. */
    public void stop() {
        process.stop();
    }

    /** Ends the server with SIGKILL, like a crash or a pulled plug. Data written so far stays. */
    public void kill() {
        process.kill();
    }

    /** Stops the server if it runs and starts it again on the same ports with the same data. */
    public void restart() {
        process.stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    private void launch() {
        process.launch(config.dir().resolve(PID_FILE), config.configFile().toString(), () -> {
            awaitPing();
            serverVersion = query("SELECT version()").trim();
        });
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ClickHouse exited with code "
                        + process.exitCode()
                        + " while starting in "
                        + config.dir()
                        + "\n"
                        + logs());
            }
            if ("Ok.".equals(ping())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ClickHouse did not answer "
                        + httpUrl()
                        + "/ping within "
                        + startupTimeout.toSeconds()
                        + " s\n"
                        + logs());
            }
            sleep(50);
        }
    }

    private String ping() {
        try {
            HttpURLConnection connection =
                    (HttpURLConnection) URI.create(httpUrl() + "/ping").toURL().openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(1000);
            try (InputStream in = connection.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            } finally {
                connection.disconnect();
            }
        } catch (IOException notYet) {
            return "";
        }
    }

    /** A tiny HTTP query for startup checks; callers use their own clients for real work. */
    String query(String sql) {
        try {
            HttpURLConnection connection =
                    (HttpURLConnection) URI.create(httpUrl() + "/").toURL().openConnection();
            connection.setRequestMethod("POST");
            connection.setRequestProperty(
                    "Authorization",
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString((writer().user() + ":" + writer().password())
                                            .getBytes(StandardCharsets.UTF_8)));
            connection.setDoOutput(true);
            connection.setConnectTimeout(2000);
            connection.setReadTimeout(30_000);
            try (OutputStream out = connection.getOutputStream()) {
                out.write(sql.getBytes(StandardCharsets.UTF_8));
            }
            int status = connection.getResponseCode();
            InputStream body = status == 200 ? connection.getInputStream() : connection.getErrorStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            connection.disconnect();
            if (status != 200) {
                throw new IllegalStateException("ClickHouse answered HTTP " + status + " to '" + sql + "': " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("ClickHouse query failed: " + sql, e);
        }
    }

    private String logs() {
        return LogTail.lastLines(config.errorLog(), 30) + "\n" + LogTail.lastLines(config.consoleLog(), 30);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for ClickHouse", e);
        }
    }

    /** Options for {@link EmbeddedClickHouse}; {@link #workDir(Path)} is required. */
    public static final class Builder {
        private Path workDir;
        private int httpPort;
        private int tcpPort;
        private Duration startupTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /** Required: directory for config, data and logs; created if missing, reused if present. */
        public Builder workDir(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            return this;
        }

        /** HTTP port; 0 (default) picks a free one. */
        public Builder httpPort(int httpPort) {
            this.httpPort = httpPort == 0 ? 0 : Ports.requireValid(httpPort, "ClickHouse HTTP port");
            return this;
        }

        /** Native TCP port; 0 (default) picks a free one. */
        public Builder tcpPort(int tcpPort) {
            this.tcpPort = tcpPort == 0 ? 0 : Ports.requireValid(tcpPort, "ClickHouse TCP port");
            return this;
        }

        /** How long to wait for {@code /ping} before giving up; default 60 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            if (startupTimeout.isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, got " + startupTimeout);
            }
            this.startupTimeout = startupTimeout;
            return this;
        }

        /** Locates (or fetches) the binary, writes the config and starts the server. */
        public EmbeddedClickHouse start() {
            if (workDir == null) {
                throw new IllegalStateException("EmbeddedClickHouse needs a workDir");
            }
            int http = httpPort == 0 ? Ports.freePort() : httpPort;
            int tcp = tcpPort == 0 ? freePortOtherThan(http) : tcpPort;
            ClickHouseConfig config = new ClickHouseConfig(workDir, http, tcp);
            OwnProcesses.requireNotInUse(
                    config.dir().resolve(PID_FILE), config.configFile().toString(), "clickhouse");
            ClickHouseUsers users = ClickHouseUsers.loadOrCreate(config.dir());
            writeConfig(config, users);
            EmbeddedClickHouse clickHouse =
                    new EmbeddedClickHouse(config, users, ClickHouseBinary.locate(), startupTimeout);
            clickHouse.launch();
            return clickHouse;
        }

        private static int freePortOtherThan(int taken) {
            int port;
            do {
                port = Ports.freePort();
            } while (port == taken);
            return port;
        }

        private static void writeConfig(ClickHouseConfig config, ClickHouseUsers users) {
            try {
                for (String dir : new String[] {"data", "tmp", "user_files", "format_schemas", "log"}) {
                    Files.createDirectories(config.dir().resolve(dir));
                }
                Files.writeString(config.configFile(), config.configXml(), StandardCharsets.UTF_8);
                ClickHouseUsers.writeOwnerOnly(config.usersFile(), config.usersXml(users), true);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not write ClickHouse config into " + config.dir(), e);
            }
        }
    }
}
