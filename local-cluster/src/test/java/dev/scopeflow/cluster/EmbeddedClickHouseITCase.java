package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against a real ClickHouse server. On a machine without ClickHouse the first run fetches it with
 * fetch-clickhouse.sh into the per-user cache, so that path is exercised for real.
 */
class EmbeddedClickHouseITCase {

    private static EmbeddedClickHouse clickHouse;
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startServer() {
        long started = System.nanoTime();
        clickHouse = EmbeddedClickHouse.start(TestDirs.fresh("clickhouse"));
        System.out.printf(
                "ClickHouse %s started in %d ms%n",
                clickHouse.serverVersion(), (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopServer() {
        if (clickHouse != null) {
            clickHouse.close();
        }
    }

    @Test
    void createInsertSelectOverHttp() throws Exception {
        post("CREATE TABLE IF NOT EXISTS default.http_rows (id UInt32, name String) ENGINE ="
                + " MergeTree ORDER BY id");
        post("INSERT INTO default.http_rows FORMAT TabSeparated", "1\tone\n2\ttwo\n");

        assertThat(post("SELECT id, name FROM default.http_rows ORDER BY id FORMAT TabSeparated"))
                .isEqualTo("1\tone\n2\ttwo\n");
        assertThat(clickHouse.httpUrl()).isEqualTo("http://127.0.0.1:" + clickHouse.httpPort());
    }

    @Test
    void dataSurvivesRestartAndKill() throws Exception {
        post("CREATE TABLE default.durable (id UInt32) ENGINE = MergeTree ORDER BY id");
        post("INSERT INTO default.durable VALUES (1), (2), (3)");
        long pidBefore = clickHouse.pid();

        long restarted = System.nanoTime();
        clickHouse.restart();
        System.out.printf("ClickHouse restarted in %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
        assertThat(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(post("SELECT sum(id) FROM default.durable")).isEqualTo("6\n");

        clickHouse.kill();
        assertThat(clickHouse.isRunning()).isFalse();
        assertThat(pingStatus()).isEqualTo(-1);
        clickHouse.restart();
        post("INSERT INTO default.durable VALUES (4)");
        assertThat(post("SELECT sum(id) FROM default.durable")).isEqualTo("10\n");
    }

    @Test
    void jdbcUrlWorksWithTheOfficialDriver() throws Exception {
        post("CREATE DATABASE IF NOT EXISTS jdbc_check");
        post("CREATE TABLE IF NOT EXISTS jdbc_check.events (at DateTime, name String) ENGINE ="
                + " MergeTree ORDER BY at");
        try (Connection connection = clickHouse.jdbc("jdbc_check")) {
            try (PreparedStatement insert =
                    connection.prepareStatement("INSERT INTO events VALUES (toDateTime(?), ?)")) {
                insert.setString(1, "2024-01-02 03:04:05");
                insert.setString(2, "first");
                insert.executeUpdate();
            }
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT count(), any(name) FROM events")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getLong(1)).isEqualTo(1);
                assertThat(rows.getString(2)).isEqualTo("first");
            }
        }
    }

    private static String post(String sql) throws IOException, InterruptedException {
        return post(sql, null);
    }

    private static String post(String sql, String body) throws IOException, InterruptedException {
        URI uri = URI.create(clickHouse.httpUrl()
                + "/?query="
                + java.net.URLEncoder.encode(sql, java.nio.charset.StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", basic(clickHouse.writer()))
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode())
                .as("HTTP status for %s: %s", sql, response.body())
                .isEqualTo(200);
        return response.body();
    }

    static String basic(ClickHouseLogin login) {
        return "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString((login.user() + ":" + login.password())
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static int pingStatus() {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(clickHouse.httpUrl() + "/ping"))
                    .timeout(Duration.ofSeconds(2))
                    .build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
