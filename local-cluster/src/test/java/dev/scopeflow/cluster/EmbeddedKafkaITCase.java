package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Against a real KRaft broker in a child JVM. */
class EmbeddedKafkaITCase {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        long started = System.nanoTime();
        kafka = EmbeddedKafka.start(TestDirs.fresh("kafka"));
        System.out.printf("Kafka started (incl. format) in %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void roundTrip() {
        kafka.createTopic("round-trip", 2);
        kafka.createTopic("round-trip", 2); // idempotent
        produce("round-trip", "a", "b", "c");
        assertThat(consumeAll("round-trip", 2)).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void autoCreateIsOff() {
        Properties props = producerProps();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            assertThat(producer.partitionsFor("no-such-topic-" + System.nanoTime()))
                    .isEmpty();
        } catch (org.apache.kafka.common.errors.TimeoutException expected) {
            // Metadata for an unknown topic never arrives when auto-creation is off.
        }
    }

    @Test
    void dataSurvivesRestartAndKill() {
        kafka.createTopic("durable", 1);
        produce("durable", "before-restart");
        long pid = kafka.pid();

        long restarted = System.nanoTime();
        kafka.restart();
        System.out.printf("Kafka graceful restart in %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
        assertThat(OwnProcesses.isAlive(pid)).isFalse();
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());
        produce("durable", "after-restart");
        assertThat(consumeAll("durable", 2)).containsExactly("before-restart", "after-restart");

        kafka.kill();
        assertThat(kafka.isRunning()).isFalse();
        long recovered = System.nanoTime();
        kafka.restart();
        System.out.printf("Kafka restart after SIGKILL in %d ms%n", (System.nanoTime() - recovered) / 1_000_000);
        produce("durable", "after-kill");
        assertThat(consumeAll("durable", 3)).containsExactly("before-restart", "after-restart", "after-kill");
    }

    private static Properties producerProps() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return props;
    }

    private static void produce(String topic, String... values) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, value));
            }
            producer.flush();
        }
    }

    /**
     * Reads the topic from the beginning (no group: assign + seek) until {@code expected} values
     * arrived.
     */
    private static List<String> consumeAll(String topic, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
