package dev.scopeflow.schemas.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Request shapes and error handling against a hand-written fake; real-server checks are in local-cluster. */
class ClickHouseHttpTest {

    /** One canned answer for every request; records what was asked. */
    private static final class TestingClickHouse implements AutoCloseable {
        record Request(String method, String path, String query, String body, String authorization) {}

        final List<Request> requests = new ArrayList<>();
        int status = 200;
        String answer = "";
        final HttpServer server;

        TestingClickHouse() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                String rawQuery = exchange.getRequestURI().getRawQuery();
                synchronized (requests) {
                    requests.add(new Request(
                            exchange.getRequestMethod(),
                            exchange.getRequestURI().getPath(),
                            rawQuery == null ? null : URLDecoder.decode(rawQuery, StandardCharsets.UTF_8),
                            new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                            exchange.getRequestHeaders().getFirst("Authorization")));
                }
                byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private final TestingClickHouse fake = new TestingClickHouse();

    ClickHouseHttpTest() throws IOException {}

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void insertSendsEscapedTabSeparatedRows() {
        ClickHouseHttp ch = new ClickHouseHttp(fake.url());
        ch.insert(
                "db.t",
                List.of("s", "a", "f", "t"),
                List.of(
                        List.of("x\ty\nz\\'", List.of("p\tq", "it's"), 0.1f, Instant.parse("2024-01-02T03:04:05Z")),
                        List.of("", List.of(), Double.NaN, Instant.EPOCH)));

        TestingClickHouse.Request request = fake.requests.get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.query()).isEqualTo("query=INSERT INTO db.t (s, a, f, t) FORMAT TabSeparated");
        assertThat(request.body())
                .isEqualTo("x\\ty\\nz\\\\'\t['p\\tq','it\\'s']\t0.1\t2024-01-02 03:04:05\n"
                        + "\t[]\tnan\t1970-01-01 00:00:00\n");
        assertThat(request.authorization()).isNull();
    }

    @Test
    void insertValidatesNamesAndRowWidths() {
        ClickHouseHttp ch = new ClickHouseHttp(fake.url());
        assertThatThrownBy(() -> ch.insert("db.t; DROP", List.of("a"), List.of()))
                .hasMessageContaining("table name 'db.t; DROP'");
        assertThatThrownBy(() -> ch.insert("t", List.of("a b"), List.of())).hasMessageContaining("column name 'a b'");
        assertThatThrownBy(() -> ch.insert("t", List.of("a", "b"), List.of(List.of(1))))
                .hasMessageContaining("row 0 for t has 1 values, expected 2");
        assertThat(fake.requests).isEmpty();
    }

    @Test
    void queryParsesNamesAndTypesAndUnescapesStringsOnly() {
        fake.answer = "s\ta\tn\tmaybe\nString\tArray(String)\tUInt8\tNullable(String)\n"
                + "a\\tb\\nc\\\\d\\'e\t['p\\tq','it\\'s']\t1\t\\N\n";
        List<List<String>> rows = new ClickHouseHttp(fake.url()).query("SELECT s, a, n, maybe FROM t");

        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsExactly("a\tb\nc\\d'e", "['p\\tq','it\\'s']", "1", null);
        assertThat(ClickHouseTsv.parseArray(rows.get(0).get(1))).containsExactly("p\tq", "it's");
        assertThat(fake.requests.get(0).query())
                .isEqualTo("default_format=TabSeparatedWithNamesAndTypes&wait_end_of_query=1");
        assertThat(fake.requests.get(0).body()).isEqualTo("SELECT s, a, n, maybe FROM t");
    }

    @Test
    void queryWithNoRowsIsEmpty() {
        fake.answer = "s\nString\n";
        assertThat(new ClickHouseHttp(fake.url()).query("SELECT s FROM t WHERE 0"))
                .isEmpty();
    }

    @Test
    void errorsCarryStatusServerTextAndSqlPreview() {
        fake.status = 400;
        fake.answer = "Code: 62, e.displayText() = DB::Exception: Syntax error\n";
        String sql = "SELEC " + "x".repeat(300);

        assertThatThrownBy(() -> new ClickHouseHttp(fake.url()).execute(sql))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(400);
                    assertThat(e.serverMessage()).contains("DB::Exception: Syntax error");
                    assertThat(e.getMessage())
                            .contains("HTTP 400", "Code: 62", sql.substring(0, 200))
                            .doesNotContain(sql.substring(0, 201));
                });
    }

    @Test
    void unreachableServerIsAClickHouseExceptionAndPingIsFalse() {
        String url = fake.url();
        fake.close();
        ClickHouseHttp ch = ClickHouseHttp.builder(url)
                .optConnectTimeout(Duration.ofSeconds(2))
                .build();
        assertThat(ch.ping()).isFalse();
        assertThatThrownBy(() -> ch.execute("SELECT 1"))
                .isInstanceOfSatisfying(
                        ClickHouseException.class,
                        e -> assertThat(e.httpStatus()).isZero())
                .hasMessageContaining("no answer from ClickHouse")
                .hasMessageContaining("SELECT 1");
    }

    @Test
    void pingAndCredentials() {
        fake.answer = "Ok.\n";
        ClickHouseHttp ch = ClickHouseHttp.builder(fake.url() + "/")
                .optCredentials("alice", "p:w")
                .build();
        assertThat(ch.ping()).isTrue();
        ch.execute("SELECT 1");
        assertThat(fake.requests.get(0).path()).isEqualTo("/ping");
        assertThat(fake.requests.get(1).authorization()).isEqualTo("Basic YWxpY2U6cDp3");
    }

    @Test
    void rejectsBadBaseUrls() {
        assertThatThrownBy(() -> new ClickHouseHttp("127.0.0.1:8123")).hasMessageContaining("http://host:8123");
        assertThatThrownBy(() -> new ClickHouseHttp("http://h:8123/db?x=1")).hasMessageContaining("path or query");
        assertThatThrownBy(() -> ClickHouseHttp.builder("http://h:8123").optRequestTimeout(Duration.ZERO))
                .hasMessageContaining("request timeout");
    }
}
