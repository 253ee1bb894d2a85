package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Each command shows, and accepts, exactly the service options of the services it uses. */
class ServiceOptionsTest {

    @Test
    void commandsOfferOnlyTheOptionsOfTheirServices() {
        assertThat(help("query"))
                .contains("--clickhouse", "--database", "--work-dir")
                .doesNotContain("--kafka", "--topic-prefix", "--flink", "--job-jar");
        assertThat(help("dashboard"))
                .contains("--clickhouse", "--database", "--work-dir")
                .doesNotContain("--kafka", "--flink");
        // produce records the run's sites in ClickHouse (run_sites), which run-job checks SAEs against; enqueue
        // records the run's document count (run_corpus)
        for (String command : new String[] {"produce", "enqueue"}) {
            assertThat(help(command))
                    .contains("--kafka", "--topic-prefix", "--work-dir", "--clickhouse", "--database")
                    .doesNotContain("--flink");
        }
        for (String command : new String[] {"demo", "run-job"}) {
            assertThat(help(command))
                    .contains(
                            "--kafka",
                            "--clickhouse",
                            "--flink",
                            "--job-jar",
                            "--work-dir",
                            "--database",
                            "--topic-prefix");
        }
    }

    @Test
    void anOptionOfAnUnusedServiceIsRejectedNotIgnored() {
        StringWriter err = new StringWriter();
        CommandLine cli = ScopeFlow.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("query", "--kafka", "broker:9092", "SELECT 1");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown options: '--kafka'");
    }

    private static String help(String command) {
        return ScopeFlow.commandLine().getSubcommands().get(command).getUsageMessage();
    }
}
