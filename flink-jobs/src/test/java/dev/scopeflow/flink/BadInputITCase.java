package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input on real services (KRaft broker, MiniCluster, ClickHouse): non-finite activations are dead-lettered
 * per record while the run finishes with exactly the other records' statistics; an undecodable record in a
 * topic two runs share is counted once under the reserved key, in neither run; a job that keeps failing gives
 * up (bounded restarts) and marks its run failed with the cause.
 */
class BadInputITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final Site RES_2 = Site.parse("res.2");
    private static final int WIDTH = 32;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // without the check, the job fails on the Infinity and restarts
    void nonFiniteRecordsAreDeadLetteredAndUndecodableOnesBelongToNoRun() throws Exception {
        String db = "it_bad_input";
        TopicNames topics = TopicNames.withPrefix("it-bad-input");
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, db);
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 2);
        SaeSpec sae = StatsExpectations.numpySae(SERVICES.workDir(), "bad-input", RES_2, WIDTH, 90, 4);

        List<ActivationBatch> goodA = synthetic("run-a", 11).documents(0, 5, 20, 8);
        List<ActivationBatch> goodB = synthetic("run-b", 12).documents(50, 3, 20, 8);
        List<ActivationBatch> bad = synthetic("run-a", 13).documents(900, 2, 6, 6);
        bad.get(0).values()[3 * WIDTH + 5] = Float.POSITIVE_INFINITY;
        bad.get(1).values()[2 * WIDTH + 17] = Float.NaN;
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            goodA.subList(0, 4).forEach(publisher::publish);
            bad.forEach(publisher::publish);
            goodB.forEach(publisher::publish);
            goodA.subList(4, goodA.size()).forEach(publisher::publish);
        }
        publishPoisonRecord(topics.activations());

        // what produce records for each run it publishes, so run-job's validation lets the jobs through
        new RunSitesRows()
                .add("run-a", RES_2, WIDTH, "m", Instant.now())
                .add("run-b", RES_2, WIDTH, "m", Instant.now())
                .insertInto(http, db);
        FeatureStatsJob.Endpoints endpoints = endpoints(topics, db);
        FeatureStatsJob.runRegistered(
                environment(), endpoints, config("run-a", sae).build(), "m", "bad input");
        FeatureStatsJob.runRegistered(
                environment(), endpoints, config("run-b", sae).build(), "m", "bad input");

        ResultsReader reader = new ResultsReader(http, db);
        assertThat(reader.run("run-a").orElseThrow().run().orElseThrow().status())
                .isEqualTo("finished");
        try (Connection jdbc = SERVICES.clickHouse().jdbc(db)) {
            var expectedA = StatsExpectations.inMemory(sae, goodA);
            var expectedB = StatsExpectations.inMemory(sae, goodB);
            StatsExpectations.assertRowsMatch(jdbc, db, "run-a", sae, expectedA);
            StatsExpectations.assertRowsMatch(jdbc, db, "run-b", sae, expectedB);
            // run-a: its good records and the two non-finite ones (its dead letters); run-b: only its own.
            assertThat(StatsExpectations.progress(jdbc, db, "run-a"))
                    .containsExactly(
                            (long) goodA.size() + bad.size(),
                            expectedA.features().tokens(),
                            (long) bad.size());
            assertThat(StatsExpectations.progress(jdbc, db, "run-b"))
                    .containsExactly((long) goodB.size(), expectedB.features().tokens(), 0L);
            // Both jobs read the poison record; it is one record, counted once, under the reserved key.
            assertThat(StatsExpectations.progress(jdbc, db, SiteProgressRows.UNDECODABLE_RUN_ID))
                    .containsExactly(1L, 0L, 1L);
        }
        assertThat(reader.undecodableRecords()).isEqualTo(1);
        assertThat(reader.runs())
                .extracting(ResultsReader.RunOverview::runId)
                .containsExactlyInAnyOrder("run-a", "run-b");

        // Each job dead-letters what it saw: run-a's job the two non-finite records and the poison record,
        // run-b's job the poison record only.
        List<String> reasons = SERVICES.readTopic(topics.deadLetter(), 4).stream()
                .map(r -> new String(r.headers().lastHeader("scopeflow.reason").value(), StandardCharsets.UTF_8))
                .toList();
        assertThat(reasons).hasSize(4);
        assertThat(reasons)
                .filteredOn(r -> r.contains("non-finite"))
                .hasSize(2)
                .anySatisfy(r -> assertThat(r)
                        .startsWith(topics.activations() + "/")
                        .endsWith("non-finite activation Infinity at row 3 (doc 900, position 3), dimension 5 of"
                                + " site res.2"))
                .anySatisfy(r -> assertThat(r)
                        .endsWith("non-finite activation NaN at row 2 (doc 901, position 2), dimension 17 of site"
                                + " res.2"));
        assertThat(reasons).filteredOn(r -> r.contains("cannot decode")).hasSize(2);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aJobThatKeepsFailingGivesUpAndMarksItsRunFailedWithTheCause() throws Exception {
        String db = "it_failing_job";
        TopicNames topics = TopicNames.withPrefix("it-failing-job");
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, db);
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 1);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            synthetic("run-failing", 21).documents(0, 2, 10, 10).forEach(publisher::publish);
        }
        // The registry reads only the npz headers, so the run is registered; every task that loads the weights
        // fails on the NaN, on every restart: a failure no restart can fix.
        SaeSpec sae = StatsExpectations.numpySae(SERVICES.workDir(), "nan-weights", RES_2, WIDTH, 40, 5);
        putNanIntoWEnc(sae.path());
        new RunSitesRows().add("run-failing", RES_2, WIDTH, "m", Instant.now()).insertInto(http, db);
        FeatureStatsJob.Endpoints endpoints = endpoints(topics, db);
        FeatureStatsJobConfig config = config("run-failing", sae)
                .optFailureRate(2, Duration.ofMinutes(5), Duration.ofMillis(100))
                .build();

        assertThatThrownBy(() -> FeatureStatsJob.runRegistered(environment(), endpoints, config, "m", "c"))
                .isInstanceOfSatisfying(RunFailedException.class, e -> {
                    assertThat(e.runId()).isEqualTo("run-failing");
                    assertThat(e.cause()).contains("W_enc", "NaN");
                })
                .hasStackTraceContaining("FailureRateRestartBackoffTimeStrategy");

        String status = new ResultsReader(http, db)
                .run("run-failing")
                .orElseThrow()
                .run()
                .orElseThrow()
                .status();
        assertThat(status).startsWith("failed: ").contains("W_enc", "NaN");
    }

    private static FeatureStatsJob.Endpoints endpoints(TopicNames topics, String db) {
        return StatsExpectations.endpoints(SERVICES, topics, db, true);
    }

    private static SyntheticActivations synthetic(String runId, long seed) {
        return new SyntheticActivations(runId, "m", RES_2, WIDTH, ActivationDtype.F32, seed);
    }

    private static FeatureStatsJobConfig.Builder config(String runId, SaeSpec sae) {
        return StatsExpectations.jobConfig(runId).addSae(sae);
    }

    private static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(2);
        env.enableCheckpointing(1_000);
        return env;
    }

    private static void putNanIntoWEnc(String npz) throws Exception {
        Process python = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import sys, numpy as np; p = dict(np.load(sys.argv[1])); p['W_enc'][1, 2] = np.nan;"
                                + " np.savez(sys.argv[1], **p)",
                        npz)
                .redirectErrorStream(true)
                .start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy: %s", output).isZero();
    }

    private static void publishPoisonRecord(String topic) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", SERVICES.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "not an Arrow stream".getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }
}
