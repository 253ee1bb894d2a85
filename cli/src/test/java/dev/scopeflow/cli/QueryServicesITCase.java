package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        Output output =
                execute("query", "--work-dir", workDir.toString(), "--database", "default", "SELECT 40 + 2 AS answer");

        assertThat(output.exit).as(output.err).isZero();
        assertThat(output.out).isEqualTo("answer\n42\n");
        assertThat(output.err)
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
        Output output = execute(
                "query",
                "--clickhouse",
                SERVICES.clickHouse().httpUrl(),
                "--database",
                "system",
                "--work-dir",
                SERVICES.workDir().resolve("unused").toString(),
                "SELECT dummy FROM one");

        assertThat(output.exit).as(output.err).isZero();
        assertThat(output.out).isEqualTo("dummy\n0\n");
        assertThat(output.err).isEmpty();
        assertThat(SERVICES.workDir().resolve("unused")).doesNotExist();
        // A reader migrates nothing, whatever the database.
        assertThat(new ClickHouseHttp(SERVICES.clickHouse().httpUrl())
                        .query("SELECT count() FROM system.tables WHERE name = 'runs'"))
                .containsExactly(java.util.List.of("0"));
    }

    private record Output(int exit, String out, String err) {}

    /** Runs the command line; the commands print to System.out/err, so those are captured for the call. */
    private static Output execute(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = ScopeFlow.commandLine().execute(args);
            return new Output(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }
}
