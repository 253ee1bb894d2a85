package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code run-job} whose job can never succeed (an SAE whose weights hold a NaN: registering it reads only the
 * headers, every task that loads it fails) on real services: the default, bounded restart strategy gives up,
 * the command prints the cause and exits 1, and the run is marked failed in the registry.
 */
class RunJobFailureITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aJobThatGivesUpExitsNonZeroWithTheCauseAndMarksTheRunFailed() throws Exception {
        Path params = SERVICES.workDir().resolve("run-job-failure/sae/params.npz");
        DemoSaeWriter.write(params, 16, 40, 7);
        Process python = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import sys, numpy as np; p = dict(np.load(sys.argv[1])); p['W_enc'][3, 4] = np.nan;"
                                + " np.savez(sys.argv[1], **p)",
                        params.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy: %s", output).isZero();
        Site site = Site.parse("res.1");
        TopicNames topics = TopicNames.withPrefix("run-job-failure");
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 1);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            new SyntheticActivations("failing-run", "m", site, 16, ActivationDtype.F32, 3)
                    .documents(0, 2, 8, 8)
                    .forEach(publisher::publish);
        }

        StringWriter err = new StringWriter();
        CommandLine cli = ScopeFlow.commandLine();
        cli.setErr(new PrintWriter(err, true));
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, "cli_failing_job");
        new RunSitesRows().add("failing-run", site, 16, "m", Instant.now()).insertInto(http, "cli_failing_job");
        List<String> args = new ArrayList<>(List.of(
                "run-job",
                "--run-id",
                "failing-run",
                "--sae",
                "nan=res.1=" + params,
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                "cli_failing_job",
                "--topic-prefix",
                "run-job-failure",
                "--parallelism",
                "1"));
        args.addAll(SERVICES.clickHouseWriterOptions());
        int exit = cli.execute(args.toArray(String[]::new));

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("Run failing-run failed", "cli_failing_job.runs", "W_enc", "NaN", "[3, 4]");
        String status = new ResultsReader(http, "cli_failing_job")
                .run("failing-run")
                .orElseThrow()
                .run()
                .orElseThrow()
                .status();
        assertThat(status).startsWith("failed: ").contains("W_enc", "NaN");
    }
}
