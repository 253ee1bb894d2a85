package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.CorpusDocument;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What of a run is committed on the corpus topic: how many of its documents, the highest id and that document's
 * text (to check a resumed enqueue reads the same corpus). {@code lastDocId} is -1 when nothing is.
 */
record CommittedCorpus(long documents, long lastDocId, String lastText) {

    private static final Duration POLL = Duration.ofMillis(500);
    /** Past any transaction's timeout (Kafka's default is 1 minute): a transaction left open ends by then. */
    private static final Duration SCAN_TIMEOUT = Duration.ofMinutes(5);

    static final CommittedCorpus NONE = new CommittedCorpus(0, -1, null);

    /**
     * Reads the whole topic with {@code read_committed} up to the log end offsets as of the call (not the last
     * stable offsets, which stop short of any open transaction, even another run's, and would hide committed
     * records of this run behind it): a partition is done once the position passes its end, i.e. once every
     * transaction in it that was open at the start has ended. Records of other runs and undecodable ones are
     * passed over.
     */
    static CommittedCorpus read(String bootstrapServers, String topic, String runId) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                IsolationLevel.READ_COMMITTED.toString(),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                2000);
        Map<String, Object> uncommittedConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                KafkaConsumer<byte[], byte[]> ends = new KafkaConsumer<>(
                        uncommittedConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            Map<TopicPartition, Long> end = ends.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + SCAN_TIMEOUT.toNanos();
            CommittedCorpus committed = NONE;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the committed records of " + topic + " on Kafka "
                            + bootstrapServers + " to its end within " + SCAN_TIMEOUT.toMinutes()
                            + " minutes (a transaction stays open?) to find where run '" + runId + "' stopped");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    CorpusDocument doc = decode(record.value());
                    if (doc != null && doc.runId().equals(runId)) {
                        committed = committed.plus(doc);
                    }
                }
            }
            return committed;
        }
    }

    private CommittedCorpus plus(CorpusDocument doc) {
        return doc.docId() > lastDocId
                ? new CommittedCorpus(documents + 1, doc.docId(), doc.text())
                : new CommittedCorpus(documents + 1, lastDocId, lastText);
    }

    /** The record as a corpus document, or null for one that is not (it belongs to no run). */
    private static CorpusDocument decode(byte[] value) {
        try {
            return value == null ? null : CorpusDocument.fromJson(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
