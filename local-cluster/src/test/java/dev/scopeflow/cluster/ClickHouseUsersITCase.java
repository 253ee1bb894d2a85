package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.clickhouse.ClickHouseException;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.RunsRows;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedded server's users, against the real server: a web page's cross-origin POST (no credentials) and
 * the read-only user can change nothing; the writer migrates and inserts; the passwords stay private and
 * survive a restart.
 */
class ClickHouseUsersITCase {

    private static final String DB = "users_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path dir;
    private static EmbeddedClickHouse clickHouse;

    @BeforeAll
    static void start() {
        dir = TestDirs.fresh("clickhouse-users");
        clickHouse = EmbeddedClickHouse.start(dir);
        // The writer migrates and inserts: everything the job does.
        ClickHouseMigrations.apply(clickHouse.http(), DB);
        clickHouse.http().execute("CREATE TABLE " + DB + ".victim (x UInt8) ENGINE = MergeTree ORDER BY x");
        clickHouse.http().execute("INSERT INTO " + DB + ".victim VALUES (1), (2)");
    }

    @AfterAll
    static void stop() {
        if (clickHouse != null) {
            clickHouse.close();
        }
    }

    @Test
    void aCrossOriginPostWithoutCredentialsIsRefused() throws Exception {
        // What a web page can send to 127.0.0.1 without a CORS preflight: a "simple" text/plain POST.
        for (String sql :
                List.of("DROP TABLE " + DB + ".victim", "CREATE TABLE " + DB + ".evil (x UInt8) ENGINE = Memory")) {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(clickHouse.httpUrl() + "/"))
                            .header("Origin", "http://evil.example")
                            .header("Content-Type", "text/plain")
                            .POST(HttpRequest.BodyPublishers.ofString(sql))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isNotEqualTo(200);
        }
        assertThat(tables()).contains("victim").doesNotContain("evil");
        assertThat(clickHouse.http().query("SELECT count() FROM " + DB + ".victim"))
                .isEqualTo(List.of(List.of("2")));
    }

    @Test
    void theReaderCanReadButNeitherDropNorInsertNorCreate() {
        ClickHouseHttp reader = ClickHouseHttp.of(clickHouse.httpUrl(), clickHouse.reader());
        assertThat(reader.query("SELECT count() FROM " + DB + ".victim")).isEqualTo(List.of(List.of("2")));
        for (String sql : List.of(
                "DROP TABLE " + DB + ".victim",
                "INSERT INTO " + DB + ".victim VALUES (3)",
                "CREATE TABLE " + DB + ".evil (x UInt8) ENGINE = Memory",
                "ALTER TABLE " + DB + ".victim DELETE WHERE 1",
                "SET readonly = 0")) {
            assertThatThrownBy(() -> reader.execute(sql))
                    .as(sql)
                    .isInstanceOf(ClickHouseException.class)
                    .hasMessageContaining("readonly");
        }
        assertThat(tables()).contains("victim").doesNotContain("evil");
        assertThat(clickHouse.http().query("SELECT count() FROM " + DB + ".victim"))
                .isEqualTo(List.of(List.of("2")));
    }

    @Test
    void theWriterInsertsThroughTheResultsTables() {
        RunsRows runs = new RunsRows();
        runs.add(
                "users-run",
                "model",
                List.of("res.1"),
                List.of(),
                "corpus",
                1,
                "finished",
                Instant.EPOCH,
                Instant.EPOCH,
                Instant.EPOCH);
        runs.insertInto(clickHouse.http(), DB);
        assertThat(clickHouse
                        .http()
                        .query("SELECT count() FROM " + DB + ".runs WHERE run_id = "
                                + ClickHouseTsv.quote("users-run")))
                .isEqualTo(List.of(List.of("1")));
    }

    @Test
    void passwordsAreOwnerOnlyAndReusedAfterARestart() throws Exception {
        Path file = dir.resolve(ClickHouseUsers.FILE);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(ClickHouseUsers.OWNER_ONLY);
        assertThat(Files.getPosixFilePermissions(dir.resolve("users.xml"))).isEqualTo(ClickHouseUsers.OWNER_ONLY);
        assertThat(Files.readString(dir.resolve("users.xml")))
                .doesNotContain(clickHouse.writer().password())
                .doesNotContain(clickHouse.reader().password());
        String before = Files.readString(file);

        clickHouse.restart();
        assertThat(Files.readString(file)).isEqualTo(before);
        assertThat(clickHouse.http().query("SELECT count() FROM " + DB + ".victim"))
                .isEqualTo(List.of(List.of("2")));
        // What a second JVM (a command using `services start`'s server) reads: the same logins.
        ClickHouseUsers reread = ClickHouseUsers.loadOrCreate(dir);
        assertThat(reread.writer()).isEqualTo(clickHouse.writer());
        assertThat(reread.reader()).isEqualTo(clickHouse.reader());
        assertThat(Files.readString(file)).isEqualTo(before);
        assertThat(clickHouse.writer().toString())
                .doesNotContain(clickHouse.writer().password());
    }

    private static List<String> tables() {
        return clickHouse.http().query("SELECT name FROM system.tables WHERE database = '" + DB + "'").stream()
                .map(row -> row.get(0))
                .toList();
    }
}
