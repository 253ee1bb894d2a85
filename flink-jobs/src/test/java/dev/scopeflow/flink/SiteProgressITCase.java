package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two jobs of one run at two different sites (real broker, MiniCluster, ClickHouse) each keep their own progress,
 * and the run's overview is the sum (issue 9): with progress per run, the second job's view replaced the first's.
 */
class SiteProgressITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String RUN = "two-sites";
    private static final Site RES_12 = Site.parse("res.12");
    private static final Site RES_20 = Site.parse("res.20");
    private static final int WIDTH_12 = 24;
    private static final int WIDTH_20 = 32;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void twoJobsAtTwoSitesBothLeaveTheirProgressAndTheRunShowsTheSum() throws Exception {
        String db = "it_site_progress";
        TopicNames topics = TopicNames.withPrefix("it-site-progress");
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, db);
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 2);
        SaeSpec sae12 = StatsExpectations.numpySae(SERVICES.workDir(), "site-12", RES_12, WIDTH_12, 40, 6);
        SaeSpec sae20 = StatsExpectations.numpySae(SERVICES.workDir(), "site-20", RES_20, WIDTH_20, 50, 7);

        // Different documents and batch sizes per site, so the two sites' counts differ.
        List<ActivationBatch> at12 =
                new SyntheticActivations(RUN, "m", RES_12, WIDTH_12, ActivationDtype.F32, 31).documents(0, 4, 20, 8);
        List<ActivationBatch> at20 =
                new SyntheticActivations(RUN, "m", RES_20, WIDTH_20, ActivationDtype.F32, 32).documents(0, 3, 15, 6);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            at12.forEach(publisher::publish);
            at20.forEach(publisher::publish);
        }
        new RunSitesRows()
                .add(RUN, RES_12, WIDTH_12, "m", Instant.now())
                .add(RUN, RES_20, WIDTH_20, "m", Instant.now())
                .insertInto(http, db);

        FeatureStatsJob.Endpoints endpoints = StatsExpectations.endpoints(SERVICES, topics, db, true);
        FeatureStatsJob.runRegistered(environment(), endpoints, config(sae12), "m", "c");
        FeatureStatsJob.runRegistered(environment(), endpoints, config(sae20), "m", "c");

        long tokens12 = StatsExpectations.inMemory(sae12, at12).features().tokens();
        long tokens20 = StatsExpectations.inMemory(sae20, at20).features().tokens();
        assertThat(tokens12).isNotEqualTo(tokens20).isPositive();
        assertThat(tokens20).isPositive();
        try (Connection jdbc = SERVICES.clickHouse().jdbc(db)) {
            assertThat(StatsExpectations.progress(jdbc, db, RUN, RES_12.toString()))
                    .containsExactly((long) at12.size(), tokens12, 0L);
            assertThat(StatsExpectations.progress(jdbc, db, RUN, RES_20.toString()))
                    .containsExactly((long) at20.size(), tokens20, 0L);
        }
        ResultsReader.RunOverview overview =
                new ResultsReader(http, db).run(RUN).orElseThrow();
        ResultsReader.Progress progress = overview.progress().orElseThrow();
        assertThat(List.of(progress.records(), progress.tokens(), progress.deadLetters()))
                .containsExactly((long) at12.size() + at20.size(), tokens12 + tokens20, 0L);
        assertThat(new ResultsReader(http, db).runs())
                .singleElement()
                .satisfies(o -> assertThat(o.progress()).contains(progress));
        ResultsReader.Run run = overview.run().orElseThrow();
        assertThat(run.status()).isEqualTo("finished");
        assertThat(run.sites()).containsExactlyInAnyOrder("res.12", "res.20");
        assertThat(run.tokens()).isEqualTo(tokens12 + tokens20);
    }

    private static FeatureStatsJobConfig config(SaeSpec sae) {
        return FeatureStatsJobConfig.builder().setRunId(RUN).addSae(sae).build();
    }

    private static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(2);
        env.enableCheckpointing(1_000);
        return env;
    }
}
