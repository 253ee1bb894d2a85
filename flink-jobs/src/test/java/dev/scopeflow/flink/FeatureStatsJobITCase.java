package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The walking skeleton on real services: synthetic activations → Arrow → a real KRaft Kafka broker → the
 * Flink job on a MiniCluster (parallelism 2, then 1) → a real ClickHouse server, compared with an in-memory
 * computation over the same activations: feature counts, top examples, reconstruction metrics, progress. Two SAEs read one site and a third SAE of another width reads a
 * second site (fan-out); a poison record and a wrong-width batch go to the dead-letter topic.
 */
class FeatureStatsJobITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(PARALLELISM)
            .build());

    @Test
    void countsInClickHouseEqualInMemoryComputation() throws Exception {
        String db = "it_skeleton";
        String runId = "run-" + UUID.randomUUID().toString().substring(0, 8);
        TopicNames topics = TopicNames.withPrefix("it-skeleton");
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, db);
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 3);

        Site res3 = Site.parse("res.3");
        Site mlp1 = Site.parse("mlp.1");
        SaeSpec resA = sae("res3-a", res3, 48, 300, 1);
        SaeSpec resB = sae("res3-b", res3, 48, 130, 2);
        SaeSpec mlp = sae("mlp1", mlp1, 40, 77, 3);

        List<ActivationBatch> resBatches = new SyntheticActivations(
                        runId, "test-model", res3, 48, ActivationDtype.BF16, 7)
                .documents(0, 23, 37, 16);
        List<ActivationBatch> mlpBatches = new SyntheticActivations(
                        runId, "test-model", mlp1, 40, ActivationDtype.F32, 8)
                .documents(100, 9, 50, 64);
        List<ActivationBatch> wrongWidth =
                new SyntheticActivations(runId, "test-model", res3, 47, ActivationDtype.F32, 9).documents(500, 1, 5, 8);
        List<ActivationBatch> otherRun = new SyntheticActivations(
                        "another-run", "test-model", res3, 48, ActivationDtype.F32, 10)
                .documents(600, 2, 5, 8);
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            resBatches.forEach(publisher::publish);
            wrongWidth.forEach(publisher::publish);
            otherRun.forEach(publisher::publish);
            mlpBatches.forEach(publisher::publish);
        }
        publishPoisonRecord(topics.activations());
        List<DocumentWindow> documents = List.of(
                new DocumentWindow(runId, 0, 0, 0, resBatches.get(0).tokenIds(), "first document", "test", false),
                new DocumentWindow(runId, 0, 1, 16, resBatches.get(1).tokenIds(), null, null, false),
                new DocumentWindow(runId, 100, 0, 0, mlpBatches.get(0).tokenIds(), "second document", "test", false),
                new DocumentWindow("another-run", 600, 0, 0, new int[] {2, 7}, "not this run's", "test", false));
        publishDocuments(topics.documents(), documents);

        FeatureStatsJobConfig config = StatsExpectations.jobConfig(runId)
                .addSae(resA)
                .addSae(resB)
                .addSae(mlp)
                .build();
        FeatureStatsJob.run(environment(PARALLELISM), StatsExpectations.endpoints(SERVICES, topics, db, true), config);

        try (Connection jdbc = SERVICES.clickHouse().jdbc(db)) {
            for (SaeSpec spec : List.of(resA, resB)) {
                StatsExpectations.assertRowsMatch(jdbc, db, runId, spec, StatsExpectations.inMemory(spec, resBatches));
            }
            StatsExpectations.assertRowsMatch(jdbc, db, runId, mlp, StatsExpectations.inMemory(mlp, mlpBatches));
            long counted = StatsExpectations.inMemory(resA, resBatches)
                            .features()
                            .tokens()
                    + StatsExpectations.inMemory(mlp, mlpBatches).features().tokens();
            // Records of this run: the good ones and the wrong-width one (a dead letter); the poison record
            // names no run, so it is counted under the reserved key, not as this run's.
            long records = resBatches.size() + mlpBatches.size() + wrongWidth.size();
            assertThat(StatsExpectations.progress(jdbc, db, runId)).containsExactly(records, counted, 1L);
            assertThat(StatsExpectations.progress(jdbc, db, SiteProgressRows.UNDECODABLE_RUN_ID))
                    .containsExactly(1L, 0L, 1L);
        }
        try (Connection jdbc = SERVICES.clickHouse().jdbc(db)) {
            assertDocuments(jdbc, db, runId, documents.subList(0, 3));
            assertTopExampleContext(
                    jdbc,
                    db,
                    runId,
                    resA,
                    StatsExpectations.inMemory(resA, resBatches).topExamples(),
                    documents.subList(0, 2));
        }
        List<String> reasons = deadLetterReasons(topics.deadLetter(), 3);
        assertThat(reasons).hasSize(3);
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("document record is not JSON"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("cannot decode"));
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("width 47").contains("d_in 48"));

        // Parallelism 1 over the same records gives the same numbers as parallelism 2.
        String db1 = db + "_p1";
        ClickHouseMigrations.apply(http, db1);
        FeatureStatsJob.run(environment(1), StatsExpectations.endpoints(SERVICES, topics, db1, true), config);
        try (Connection jdbc = SERVICES.clickHouse().jdbc(db1)) {
            StatsExpectations.assertRowsMatch(jdbc, db1, runId, resA, StatsExpectations.inMemory(resA, resBatches));
            StatsExpectations.assertRowsMatch(jdbc, db1, runId, mlp, StatsExpectations.inMemory(mlp, mlpBatches));
        }
    }

    private static SaeSpec sae(String id, Site site, int dIn, int dSae, int seed) throws Exception {
        return StatsExpectations.numpySae(SERVICES.workDir(), id, site, dIn, dSae, seed);
    }

    private static void publishPoisonRecord(String topic) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", SERVICES.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            topic,
                            "poison".getBytes(StandardCharsets.UTF_8),
                            "this is not an Arrow stream".getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    /** The windows of the run are in ClickHouse, once each, with their tokens and text. */
    private static void assertDocuments(Connection jdbc, String db, String runId, List<DocumentWindow> expected)
            throws Exception {
        List<String> want = expected.stream()
                .map(w -> w.docId() + "/" + w.firstPosition() + "/" + java.util.Arrays.toString(w.tokenIds()) + "/"
                        + (w.text() == null ? "" : w.text()))
                .toList();
        List<String> got = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement("SELECT doc_id, window_start, "
                + "concat('[', arrayStringConcat(arrayMap(t -> toString(t), token_ids), ', '), ']'), text FROM " + db
                + ".documents FINAL WHERE run_id = ? ORDER BY doc_id, window_start")) {
            query.setString(1, runId);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    got.add(rs.getLong(1) + "/" + rs.getInt(2) + "/" + rs.getString(3) + "/" + rs.getString(4));
                }
            }
        }
        assertThat(got).isEqualTo(want);
    }

    /**
     * The documented query that shows each top example with ±2 tokens of context from the documents table
     * gives exactly the tokens around each example's position in the published windows.
     */
    private static void assertTopExampleContext(
            Connection jdbc,
            String db,
            String runId,
            SaeSpec spec,
            TopExamples expected,
            List<DocumentWindow> doc0Windows)
            throws Exception {
        List<String> want = new ArrayList<>();
        for (int f = 0; f < expected.dSae(); f++) {
            List<TopExamples.Example> examples = expected.examples(f);
            for (int rank = 0; rank < examples.size(); rank++) {
                TopExamples.Example e = examples.get(rank);
                for (DocumentWindow w : doc0Windows) {
                    int offset = e.position() - w.firstPosition();
                    if (e.doc() == w.docId() && offset >= 0 && offset < w.tokenIds().length) {
                        int from = Math.max(0, offset - 2);
                        int to = Math.min(w.tokenIds().length, offset + 3);
                        want.add(f + "/" + (rank + 1) + "/"
                                + java.util.Arrays.toString(java.util.Arrays.copyOfRange(w.tokenIds(), from, to)));
                    }
                }
            }
        }
        String sql = "SELECT feature, rank, concat('[', arrayStringConcat(arrayMap(t -> toString(t), "
                + "arraySlice(token_ids, greatest(1, position - window_start - 1), "
                + "least(position - window_start + 3, length(token_ids)) - greatest(1, position - window_start - 1) + 1)), ', '), ']') "
                + "FROM (SELECT run_id, doc_id, feature, rank, position FROM " + db + ".top_examples FINAL "
                + "WHERE run_id = ? AND sae_id = ?) "
                + "ALL INNER JOIN (SELECT run_id, doc_id, window_start, token_ids FROM " + db + ".documents FINAL "
                + "WHERE run_id = ?) USING (run_id, doc_id) "
                + "WHERE position >= window_start AND position < window_start + length(token_ids) ORDER BY feature, rank";
        List<String> got = new ArrayList<>();
        try (PreparedStatement query = jdbc.prepareStatement(sql)) {
            query.setString(1, runId);
            query.setString(2, spec.saeId());
            query.setString(3, runId);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    got.add(rs.getInt(1) + "/" + rs.getInt(2) + "/" + rs.getString(3));
                }
            }
        }
        assertThat(want)
                .as("some top examples fall inside the published windows")
                .isNotEmpty();
        assertThat(got).isEqualTo(want);
    }

    private static void publishDocuments(String topic, List<DocumentWindow> windows) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", SERVICES.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (DocumentWindow w : windows) {
                producer.send(new ProducerRecord<>(topic, TopicNames.docKey(w.docId()), w.toJson()))
                        .get();
            }
            producer.send(new ProducerRecord<>(
                            topic,
                            "poison".getBytes(StandardCharsets.UTF_8),
                            "{not json".getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    private static List<String> deadLetterReasons(String topic, int expected) {
        return SERVICES.readTopic(topic, expected).stream()
                .map(r -> new String(r.headers().lastHeader("scopeflow.reason").value(), StandardCharsets.UTF_8))
                .toList();
    }

    private static StreamExecutionEnvironment environment(int parallelism) {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(parallelism);
        env.enableCheckpointing(1_000);
        return env;
    }
}
