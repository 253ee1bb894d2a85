package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.DocumentWindow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Whether a run already has records in Kafka. Reads the documents topic, not the activations: every window's
 * document record is sent before its activations and is ~1000 times smaller, so a scan stays cheap.
 */
final class RunRecords {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final long SCAN_TIMEOUT_NANOS = Duration.ofMinutes(2).toNanos();

    private RunRecords() {}

    /** {@code topic/partition@offset} of the first record of {@code runId} in {@code topic}, if any. */
    static Optional<String> first(String bootstrapServers, String topic, String runId) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                2000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + SCAN_TIMEOUT_NANOS;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " on Kafka " + bootstrapServers
                            + " to its end within 2 minutes to check whether run '" + runId + "' has data");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (runId.equals(runIdOf(record.value()))) {
                        return Optional.of(record.topic() + "/" + record.partition() + "@" + record.offset());
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** The record's run id, or null for a record that is not a document window (it belongs to no run). */
    private static String runIdOf(byte[] value) {
        try {
            return value == null ? null : DocumentWindow.fromJson(value).runId();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
