package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.model.ComputeDevice;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProducerProgress;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = SERVICES.readTopic(topic, expected);
        assertThat(out).as("records on " + topic).hasSize(expected);
        return out;
    }
}
