package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProducerProgress;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.format.NpyWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code scopeflow produce} against a real KRaft broker: Arrow bf16 batches and document windows, keyed by doc. */
class KafkaProductionITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaOnly();

    @Test
    void corpusActivationsAndDocumentsReachKafka() throws IOException {
        Path model = TinyGemma.write(SERVICES.workDir().resolve("m"), "bf16", 1);
        TinyGemma.writeWordTokenizer(model);
        Path corpus = Files.writeString(
                SERVICES.workDir().resolve("c.jsonl"),
                "{\"text\": \"the city of light is paris .\"}\n{\"text\": \"paris\"}\nnot json\n");
        TopicNames topics =
                TopicNames.withPrefix("it-" + UUID.randomUUID().toString().substring(0, 8));
        CorpusProducer.Report report = KafkaProduction.run(
                model,
                corpus,
                "text",
                SERVICES.kafka().bootstrapServers(),
                topics,
                2,
                CorpusProducer.Settings.of("run-it", "tiny", List.of(Site.parse("res.2"))),
                List.of(),
                KafkaProduction.Policy.NEW_RUN,
                ComputeDevice.CPU,
                ProducerProgress.NONE);
        assertThat(report.documents()).isEqualTo(2);
        assertThat(report.tokens()).isEqualTo(8 + 2);
        assertThat(report.corpus().malformedJson()).isEqualTo(1);

        List<ConsumerRecord<byte[], byte[]>> activations =
                consume(topics.activations(), (int) report.activationBatches());
        long rows = 0;
        try (ActivationBatchCodec codec = new ActivationBatchCodec()) {
            for (ConsumerRecord<byte[], byte[]> r : activations) {
                ActivationBatch batch = codec.decode(r.value());
                assertThat(batch.dtype()).isEqualTo(ActivationDtype.BF16);
                assertThat(batch.site()).isEqualTo(Site.parse("res.2"));
                assertThat(TopicNames.docIdFromKey(r.key())).isEqualTo(batch.docId(0));
                rows += batch.rows();
            }
        }
        assertThat(rows).isEqualTo(10);
        List<ConsumerRecord<byte[], byte[]>> docs = consume(topics.documents(), 2);
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : docs) {
            JsonNode node = json.readTree(r.value());
            assertThat(TopicNames.docIdFromKey(r.key()))
                    .isEqualTo(node.get("doc_id").asLong());
            texts.add(node.get("text").asText());
        }
        assertThat(texts).containsExactlyInAnyOrder("the city of light is paris .", "paris");
    }

    /**
     * Document d's records are on partition d mod partitions, so every partition holds the same number of documents
     * (Kafka's default hash put 64 documents on 8 partitions 5 to 11 each, and a job lasts as long as its most loaded
     * subtask). Fails without {@link DocumentPartitioner} in the producer settings.
     */
    @Test
    void documentsSpreadEvenlyOverThePartitions() throws IOException {
        int docs = 32;
        int partitions = 4;
        Path dir = Files.createDirectories(SERVICES.workDir().resolve("even"));
        try (NpyWriter npy = NpyWriter.float32(dir.resolve("a.npy"), docs, 3, 2)) {
            for (int i = 0; i < docs * 3; i++) {
                npy.write(new float[] {i, -i}, 0, 2);
            }
        }
        TopicNames topics =
                TopicNames.withPrefix("it-" + UUID.randomUUID().toString().substring(0, 8));
        ActivationArrayProducer.Report report = KafkaProduction.publishArray(
                ActivationArrayFiles.read(dir.resolve("a.npy"), null, null),
                SERVICES.kafka().bootstrapServers(),
                topics,
                partitions,
                ActivationArrayProducer.Settings.of("run-even", "array", Site.parse("res.0")),
                KafkaProduction.Policy.NEW_RUN);
        assertThat(report.documents()).isEqualTo(docs);

        Map<Integer, List<Long>> docsByPartition = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : consume(topics.activations(), (int) report.activationBatches())) {
            docsByPartition
                    .computeIfAbsent(r.partition(), p -> new ArrayList<>())
                    .add(TopicNames.docIdFromKey(r.key()));
        }
        assertThat(docsByPartition).hasSize(partitions);
        docsByPartition.forEach((partition, ids) -> assertThat(ids)
                .as("documents on partition " + partition)
                .hasSize(docs / partitions)
                .allMatch(id -> id % partitions == partition));
    }

    @Test
    void aSecondProduceOfARunIsRefusedUnlessAppending() throws IOException {
        Path model = tinyGemma("m2");
        Path corpus = Files.writeString(SERVICES.workDir().resolve("c2.txt"), "the city of light\nparis .\n");
        TopicNames topics = freshTopics();
        List<Site> sites = List.of(Site.parse("res.2"), Site.parse("att.1"));
        List<String> recorded = new ArrayList<>();
        KafkaProduction.Policy recording = new KafkaProduction.Policy(
                false, false, (runId, modelId, widths) -> recorded.add(runId + " " + modelId + " " + widths));

        produce(model, corpus, topics, "twice", sites, recording);
        // TinyGemma: hidden_size 48; att is heads x head_dim = 4 x 16
        assertThat(recorded).containsExactly("twice tiny {res.2=48, att.1=64}");
        long documents = recordsIn(topics.documents());
        long activations = recordsIn(topics.activations());
        assertThat(documents).isEqualTo(2);

        assertThatThrownBy(() -> produce(model, corpus, topics, "twice", sites, recording))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("run id 'twice' already has data in Kafka (" + topics.documents() + "/")
                .hasMessageContaining("--append");
        assertThat(recordsIn(topics.documents())).isEqualTo(documents);
        assertThat(recordsIn(topics.activations())).isEqualTo(activations);
        assertThat(recorded).hasSize(1);

        // another run in the same topics is not refused: the check is per run id, not "the topic has data"
        produce(model, corpus, topics, "other", sites, KafkaProduction.Policy.NEW_RUN);
        produce(model, corpus, topics, "twice", sites, new KafkaProduction.Policy(true, false, recording.recorder()));
        assertThat(recordsIn(topics.documents())).isEqualTo(3 * documents);
        assertThat(recordsIn(topics.activations())).isEqualTo(3 * activations);
        assertThat(recorded).hasSize(2);
    }

    @Test
    void anEmptyCorpusPublishesNothingAndFailsUnlessAllowed() throws IOException {
        Path model = tinyGemma("m3");
        Path empty = Files.writeString(SERVICES.workDir().resolve("empty.txt"), "\n");
        TopicNames topics = freshTopics();
        List<String> recorded = new ArrayList<>();
        KafkaProduction.SiteRecorder recorder = (runId, modelId, widths) -> recorded.add(runId);
        List<Site> sites = List.of(Site.parse("res.0"));

        assertThatThrownBy(() -> produce(
                        model, empty, topics, "empty", sites, new KafkaProduction.Policy(false, false, recorder)))
                .hasMessageContaining(empty.toString())
                .hasMessageContaining("--allow-empty");
        assertThat(produce(model, empty, topics, "empty", sites, new KafkaProduction.Policy(false, true, recorder))
                        .documents())
                .isZero();
        assertThat(recorded).isEmpty();
        assertThat(recordsIn(topics.documents())).isZero();
        assertThat(recordsIn(topics.activations())).isZero();
    }

    /** TinyGemma in f32 with its word tokenizer. */
    private static Path tinyGemma(String name) {
        Path model = TinyGemma.write(SERVICES.workDir().resolve(name), "f32", 1);
        TinyGemma.writeWordTokenizer(model);
        return model;
    }

    private static TopicNames freshTopics() {
        return TopicNames.withPrefix("it-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static CorpusProducer.Report produce(
            Path model, Path corpus, TopicNames topics, String runId, List<Site> sites, KafkaProduction.Policy policy) {
        return KafkaProduction.run(
                model,
                corpus,
                "text",
                SERVICES.kafka().bootstrapServers(),
                topics,
                2,
                CorpusProducer.Settings.of(runId, "tiny", sites),
                List.of(),
                policy,
                ComputeDevice.CPU,
                ProducerProgress.NONE);
    }

    /** Records in a topic: the sum of its partitions' end offsets (nothing is deleted in these tests). */
    private static long recordsIn(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SERVICES.kafka().bootstrapServers()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return consumer.endOffsets(partitions).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = SERVICES.readTopic(topic, expected);
        assertThat(out).as("records on " + topic).hasSize(expected);
        return out;
    }
}
