package dev.scopeflow.flink;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.cluster.EmbeddedKafka;
import dev.scopeflow.producers.ActivationPublisher;
import dev.scopeflow.producers.KafkaTopics;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The walking skeleton on real services: synthetic activations → Arrow → a real KRaft Kafka broker → the
 * Flink job on a MiniCluster (parallelism 2) → a real ClickHouse server, compared with an in-memory
 * computation over the same activations. Two SAEs read one site and a third SAE of another width reads a
 * second site (fan-out); a poison record and a wrong-width batch go to the dead-letter topic.
 */
class FeatureStatsJobITCase {

    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(PARALLELISM).build());

    private static Path workDir;
    private static EmbeddedKafka kafka;
    private static EmbeddedClickHouse clickHouse;

    @BeforeAll
    static void startServices() throws Exception {
        workDir = Path.of(System.getProperty("scopeflow.test.workdir", "target/it-work"))
                .resolve("feature-stats-" + UUID.randomUUID());
        Files.createDirectories(workDir);
        kafka = EmbeddedKafka.start(workDir.resolve("kafka"));
        clickHouse = EmbeddedClickHouse.start(workDir.resolve("clickhouse"));
    }

    @AfterAll
    static void stopServices() {
        if (kafka != null) {
            kafka.close();
        }
        if (clickHouse != null) {
            clickHouse.close();
        }
    }

    @Test
    void countsInClickHouseEqualInMemoryComputation() throws Exception {
        String db = "it_skeleton";
        String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
        TopicNames topics = TopicNames.withPrefix("it-skeleton");
        ClickHouseHttp http = new ClickHouseHttp(clickHouse.httpUrl());
        ClickHouseMigrations.apply(http, db);
        KafkaTopics.ensure(kafka.bootstrapServers(), topics, 3);

        Site res3 = Site.parse("res.3");
        Site mlp1 = Site.parse("mlp.1");
        SaeSpec resA = sae("res3-a", res3, 48, 300, 1);
        SaeSpec resB = sae("res3-b", res3, 48, 130, 2);
        SaeSpec mlp = sae("mlp1", mlp1, 40, 77, 3);

        List<ActivationBatch> resBatches = new SyntheticActivations(runId, "test-model", res3, 48,
                ActivationDtype.BF16, 7).documents(0, 23, 37, 16);
        List<ActivationBatch> mlpBatches = new SyntheticActivations(runId, "test-model", mlp1, 40,
                ActivationDtype.F32, 8).documents(100, 9, 50, 64);
        List<ActivationBatch> wrongWidth = new SyntheticActivations(runId, "test-model", res3, 47,
                ActivationDtype.F32, 9).documents(500, 1, 5, 8);
        List<ActivationBatch> otherRun = new SyntheticActivations("another-run", "test-model", res3, 48,
                ActivationDtype.F32, 10).documents(600, 2, 5, 8);
        try (ActivationPublisher publisher = new ActivationPublisher(kafka.bootstrapServers(), topics)) {
            resBatches.forEach(publisher::publish);
            wrongWidth.forEach(publisher::publish);
            otherRun.forEach(publisher::publish);
            mlpBatches.forEach(publisher::publish);
        }
        publishPoisonRecord(topics.activations());

        FeatureStatsJobConfig config = FeatureStatsJobConfig.builder().setRunId(runId)
                .addSae(resA).addSae(resB).addSae(mlp).build();
        FeatureStatsJob.run(environment(),
                new FeatureStatsJob.Endpoints(kafka.bootstrapServers(), topics, clickHouse.httpUrl(), db, true),
                config);

        try (Connection jdbc = DriverManager.getConnection(clickHouse.jdbcUrl(db))) {
            for (SaeSpec spec : List.of(resA, resB)) {
                StatsExpectations.assertRowsMatch(jdbc, db, runId, spec, StatsExpectations.inMemory(spec, resBatches));
            }
            StatsExpectations.assertRowsMatch(jdbc, db, runId, mlp, StatsExpectations.inMemory(mlp, mlpBatches));
        }
        List<String> reasons = deadLetterReasons(topics.deadLetter(), 2);
        assertThat(reasons).hasSize(2);
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("cannot decode"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("width 47").contains("d_in 48"));
    }

    private static SaeSpec sae(String id, Site site, int dIn, int dSae, int seed) throws Exception {
        return StatsExpectations.numpySae(workDir, id, site, dIn, dSae, seed);
    }

    private static void publishPoisonRecord(String topic) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "poison".getBytes(StandardCharsets.UTF_8),
                    "this is not an Arrow stream".getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static List<String> deadLetterReasons(String topic, int expected) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> reasons = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (reasons.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    reasons.add(new String(r.headers().lastHeader("scopeflow.reason").value(), StandardCharsets.UTF_8));
                }
            }
            // Nothing beyond the expected letters arrives.
            consumer.poll(Duration.ofSeconds(1)).forEach(r -> reasons.add("unexpected: " + r.offset()));
        }
        return reasons;
    }

    private static StreamExecutionEnvironment environment() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(PARALLELISM);
        env.enableCheckpointing(1_000);
        return env;
    }
}
