package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunJobValidation;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.MultipleParameterTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The job jar's entry point as {@code flink run} calls it, with no CLI around it: it must migrate a database
 * that has never seen ScopeFlow (the CLI's resolver does that elsewhere) and register the run.
 */
class FeatureStatsJobMainITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(1)
            .build());

    @Test
    void standaloneMainMigratesAFreshDatabaseAndFinishesTheRun() throws Exception {
        Site site = Site.parse("res.1");
        SaeSpec sae = StatsExpectations.numpySae(SERVICES.workDir(), "main-sae", site, 16, 40, 3);
        TopicNames topics = TopicNames.withPrefix("it-main");
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 1);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            new SyntheticActivations("main-run", "m", site, 16, ActivationDtype.F32, 5)
                    .documents(0, 3, 10, 8)
                    .forEach(publisher::publish);
        }
        ClickHouseHttp http = SERVICES.clickHouse().http();
        assertThat(http.query("SELECT count() FROM system.databases WHERE name = 'it_main'"))
                .containsExactly(List.of("0"));

        List<String> options = new ArrayList<>(List.of(
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                "it_main",
                "--topic-prefix",
                "it-main",
                "--run-id",
                "main-run",
                "--checkpoint-interval-ms",
                "1000",
                "--sae",
                sae.saeId() + "=res.1=" + sae.path()));
        // The password comes from a file (or the environment), never from the command line.
        options.addAll(SERVICES.clickHouseWriterOptions());
        String[] args = options.toArray(String[]::new);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(1);
        // Nothing recorded what was produced for main-run: main migrates the fresh database, then refuses the job.
        assertThatThrownBy(() -> FeatureStatsJobMain.run(env, MultipleParameterTool.fromArgs(args)))
                .isInstanceOf(RunJobValidation.RejectedJobException.class)
                .hasMessageContaining("run 'main-run' has no activations recorded in run_sites");
        assertThat(http.query("SELECT count() FROM it_main.runs")).containsExactly(List.of("0"));

        new RunSitesRows().add("main-run", site, 16, "m", Instant.now()).insertInto(http, "it_main");
        FeatureStatsJobMain.run(env, MultipleParameterTool.fromArgs(args));

        // 3 documents x 10 tokens, BOS excluded.
        assertThat(http.query("SELECT status, tokens FROM it_main.runs FINAL WHERE run_id = 'main-run'"))
                .containsExactly(List.of("finished", "27"));
    }
}
