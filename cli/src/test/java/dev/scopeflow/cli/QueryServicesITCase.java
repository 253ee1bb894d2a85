package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow query} through {@link ServiceOptions} on real ClickHouse servers: the one given with
 * {@code --clickhouse}, and the embedded one the resolver starts (and stops) in a fresh work dir.
 */
class QueryServicesITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    @Test
    void withoutServicesTheResolverStartsOnlyClickHouseInTheWorkDirAndStopsIt() throws Exception {
        Path workDir = SERVICES.workDir().resolve("fallback");
        // A fresh server has no scopeflow database yet, and a reader creates none.
        CommandRun.Output output = CommandRun.execute(
                "query", "--work-dir", workDir.toString(), "--database", "default", "SELECT 40 + 2 AS answer");

        assertThat(output.exit()).as(output.err()).isZero();
        assertThat(output.out()).isEqualTo("answer\n42\n");
        assertThat(output.err())
                .contains("Starting embedded ClickHouse in "
                        + workDir.toAbsolutePath().normalize());
        assertThat(workDir.resolve("clickhouse/config.xml")).isRegularFile();
        assertThat(workDir.resolve("kafka")).doesNotExist();
        String marker =
                workDir.toAbsolutePath().normalize().resolve("clickhouse").toString();
        assertThat(ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").contains(marker)))
                .as("the ClickHouse started for the query is stopped after it")
                .isEmpty();
    }

    @Test
    void anExplicitServerIsReadAsItIsInTheGivenDatabase() throws Exception {
        CommandRun.Output output = CommandRun.execute(
                "query",
                "--clickhouse",
                SERVICES.clickHouse().httpUrl(),
                "--clickhouse-user",
                SERVICES.clickHouse().reader().user(),
                "--clickhouse-password-file",
                passwordFile(SERVICES.clickHouse().reader().password()).toString(),
                "--database",
                "system",
                "--work-dir",
                SERVICES.workDir().resolve("unused").toString(),
                "SELECT dummy FROM one");

        assertThat(output.exit()).as(output.err()).isZero();
        assertThat(output.out()).isEqualTo("dummy\n0\n");
        assertThat(output.err()).isEmpty();
        assertThat(SERVICES.workDir().resolve("unused")).doesNotExist();
        // A reader migrates nothing, whatever the database.
        assertThat(SERVICES.clickHouse().http().query("SELECT count() FROM system.tables WHERE name = 'runs'"))
                .containsExactly(java.util.List.of("0"));
        assertThat(output.err() + output.out())
                .doesNotContain(SERVICES.clickHouse().reader().password());
    }

    @Test
    void withoutAllowWritesQueryCannotDropATable() throws Exception {
        SERVICES.clickHouse().http().execute("CREATE TABLE IF NOT EXISTS default.keep (x UInt8) ENGINE = Memory");
        // Refused before anything is sent, whether the statement is alone or hidden after a read.
        for (String sql : List.of("DROP TABLE default.keep", "SELECT 1; DROP TABLE default.keep")) {
            CommandRun.Output output = executeOnServices(sql);
            assertThat(output.exit()).as(sql).isNotZero();
            assertThat(output.err()).as(sql).containsAnyOf("--allow-writes", "one statement");
        }
        // And the server refuses it too: the command's login (the read-only user) cannot drop, whatever reaches it.
        ClickHouseLogin reader = SERVICES.clickHouse().reader();
        String url = QueryCommand.jdbcUrl(SERVICES.clickHouse().httpUrl(), reader, "default", false);
        assertThatThrownBy(
                        () -> QueryCommand.print(url, reader, "DROP TABLE default.keep", ResultFormat.TSV, System.out))
                .hasMessageContaining("readonly");
        // A server given with one writing user: the query is held to readonly=2 by the request itself.
        ClickHouseLogin writer = SERVICES.clickHouse().writer();
        String readOnlyUrl = QueryCommand.jdbcUrl(SERVICES.clickHouse().httpUrl(), writer, "default", true);
        assertThatThrownBy(() -> QueryCommand.print(
                        readOnlyUrl, writer, "DROP TABLE default.keep", ResultFormat.TSV, System.out))
                .hasMessageContaining("readonly");
        assertThat(SERVICES.clickHouse().http().query("EXISTS TABLE default.keep"))
                .containsExactly(List.of("1"));

        CommandRun.Output allowed = executeOnServices("--allow-writes", "DROP TABLE default.keep");
        assertThat(allowed.exit()).as(allowed.err()).isZero();
        assertThat(SERVICES.clickHouse().http().query("EXISTS TABLE default.keep"))
                .containsExactly(List.of("0"));
    }

    /** {@code query} against the class's server as `services start` users would reach it: its logins. */
    private static CommandRun.Output executeOnServices(String... args) throws IOException {
        List<String> line = new ArrayList<>(List.of(
                "query",
                "--clickhouse",
                SERVICES.clickHouse().httpUrl(),
                "--clickhouse-user",
                SERVICES.clickHouse().writer().user(),
                "--clickhouse-password-file",
                passwordFile(SERVICES.clickHouse().writer().password()).toString(),
                "--database",
                "default"));
        line.addAll(List.of(args));
        return CommandRun.execute(line.toArray(String[]::new));
    }

    private static Path passwordFile(String password) throws IOException {
        Path file = Files.createTempFile(SERVICES.workDir(), "password", ".txt");
        Files.writeString(file, password + "\n");
        return file;
    }
}
