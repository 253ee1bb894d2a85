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
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The unbounded statistics job through faults, on a real KRaft broker, a MiniCluster and a real ClickHouse
 * server: activations are published in chunks while the job runs, a fault is injected between chunks, and
 * the final rows in ClickHouse must equal the in-memory statistics of everything published (counts exact).
 * Whatever was counted before a failure and replayed after it must be counted once.
 */
class FaultToleranceITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final int CHUNKS = 8;

    private MiniCluster flink;

    @BeforeEach
    void startFlink() throws Exception {
        Configuration conf = FeatureStatsJobMain.strictTypes();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 100);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        flink = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(2)
                .build());
        flink.start();
        TestStreamEnvironment.setAsContext(flink, 2);
    }

    @AfterEach
    void stopFlink() throws Exception {
        TestStreamEnvironment.unsetAsContext();
        flink.close();
    }

    @Test
    void taskManagerCrashesThreeTimesMidStream() throws Exception {
        runThrough("tm-crash", Set.of(2, 4, 6), () -> {
            // The only task manager dies with the job's tasks; a fresh one takes over from the last checkpoint.
            flink.terminateTaskManager(0).get();
            flink.startTaskManager();
        });
    }

    @Test
    void kafkaBrokerRestartsMidStream() throws Exception {
        runThrough("broker-restart", Set.of(3), SERVICES.kafka()::restart);
    }

    @Test
    void clickHouseUnreachableForThirtySecondsMidStream() throws Exception {
        runThrough("clickhouse-down", Set.of(3), () -> {
            SERVICES.clickHouse().stop();
            Thread.sleep(30_000); // the job keeps consuming; commits wait and retry
            SERVICES.clickHouse().restart();
        });
    }

    /** A fault injected by the test between chunks of published activations. */
    @FunctionalInterface
    interface Fault {
        void inject() throws Exception;
    }

    private void runThrough(String name, Set<Integer> faultAfterChunks, Fault fault) throws Exception {
        String db = "it_" + name.replace('-', '_');
        String runId = "run-" + name;
        TopicNames topics = TopicNames.withPrefix("it-" + name);
        ClickHouseMigrations.apply(SERVICES.clickHouse().http(), db);
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 3);
        Site site = Site.parse("res.6");
        SaeSpec sae = StatsExpectations.numpySae(SERVICES.workDir().resolve(name), "sae-" + name, site, 32, 211, 11);

        List<ActivationBatch> batches = new SyntheticActivations(runId, "test-model", site, 32, ActivationDtype.BF16, 3)
                .documents(0, 48, 40, 16);
        FeatureStatsJobConfig config = FeatureStatsJobConfig.builder()
                .setRunId(runId)
                .addSae(sae)
                .optSnapshotInterval(Duration.ofMillis(300))
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(500);
        FeatureStatsJob.wire(env, StatsExpectations.endpoints(SERVICES, topics, db, false), config);
        JobClient job = env.executeAsync(FeatureStatsJob.jobName(config));
        try {
            int perChunk = (batches.size() + CHUNKS - 1) / CHUNKS;
            try (ActivationPublisher publisher =
                    new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
                for (int chunk = 0; chunk < CHUNKS; chunk++) {
                    batches.subList(chunk * perChunk, Math.min(batches.size(), (chunk + 1) * perChunk))
                            .forEach(publisher::publish);
                    publisher.flush();
                    Thread.sleep(1_500); // let the job consume and checkpoint before the fault
                    if (faultAfterChunks.contains(chunk)) {
                        fault.inject();
                    }
                }
            }
            var expected = StatsExpectations.inMemory(sae, batches);
            awaitTokens(db, runId, sae.saeId(), expected.features().tokens(), job);
            try (Connection jdbc = SERVICES.clickHouse().jdbc(db)) {
                StatsExpectations.assertRowsMatch(jdbc, db, runId, sae, expected);
                // Progress is committed separately; wait for it to cover every record too.
                awaitProgress(jdbc, db, runId, batches.size());
                assertThat(StatsExpectations.progress(jdbc, db, runId))
                        .containsExactly(
                                (long) batches.size(), expected.features().tokens(), 0L);
            }
        } finally {
            job.cancel().get();
        }
    }

    private static void awaitProgress(Connection jdbc, String db, String runId, long records) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (var rs = jdbc.createStatement()
                    .executeQuery(
                            "SELECT sum(records) FROM " + db + ".site_progress FINAL WHERE run_id = '" + runId + "'")) {
                if (rs.next() && rs.getLong(1) == records) {
                    return;
                }
            }
            Thread.sleep(300);
        }
    }

    /** Waits until the committed statistics cover every published token (the stream has no end to wait for). */
    private static void awaitTokens(String db, String runId, String saeId, long tokens, JobClient job)
            throws Exception {
        ClickHouseHttp http = SERVICES.clickHouse().http();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            assertThat(job.getJobStatus().get()).as("job status").isNotIn(JobStatus.FAILED, JobStatus.CANCELED);
            List<List<String>> rows = http.query("SELECT max(version) FROM " + db + ".feature_stats WHERE run_id = '"
                    + runId + "' AND sae_id = '" + saeId + "'");
            seen = rows.isEmpty() || rows.get(0).get(0) == null
                    ? -1
                    : Long.parseLong(rows.get(0).get(0));
            assertThat(seen)
                    .as("tokens committed so far never exceed those published")
                    .isLessThanOrEqualTo(tokens);
            if (seen == tokens) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("statistics of " + saeId + " reached " + seen + " of " + tokens + " tokens in 120 s");
    }
}
