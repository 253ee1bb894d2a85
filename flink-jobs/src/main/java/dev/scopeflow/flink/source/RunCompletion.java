package dev.scopeflow.flink.source;

import dev.scopeflow.schemas.TopicNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * When an enqueued run's records are all on the topics for committed readers: its worker group has committed
 * offsets at the end of every corpus partition (every document produced, in a committed transaction), and every
 * transaction that was open on the activations, documents and evaluations topics at that moment has ended. A
 * bounded job over an enqueued run starts reading only then ({@code FeatureStatsJob.runRegistered}), so it counts
 * the whole corpus: it stops at the last stable offsets as of its start, and a transaction a killed worker left open
 * (aborted only at its timeout) holds those back on its partitions, with the other workers' committed records behind
 * it. The workers stop on the same rule, seen from their own consumer ({@code CorpusWorker}).
 */
public final class RunCompletion {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final long STATUS_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private RunCompletion() {}

    /**
     * Blocks until the run is complete as the class comment says, telling {@code status} every 10 s what it waits
     * for. The caller checks first that the run's enqueue is complete; this waits for its workers (no limit: a
     * run's workers may take hours, and the caller can be interrupted).
     */
    public static void await(String bootstrapServers, TopicNames topics, String runId, Consumer<String> status)
            throws InterruptedException {
        try (KafkaConsumer<byte[], byte[]> committed =
                        consumer(bootstrapServers, topics.workerGroup(runId), IsolationLevel.READ_COMMITTED);
                KafkaConsumer<byte[], byte[]> uncommitted =
                        consumer(bootstrapServers, null, IsolationLevel.READ_UNCOMMITTED)) {
            long lastStatus = System.nanoTime();
            int left;
            while ((left = unconsumedPartitions(committed, topics.corpus())) > 0) {
                if (System.nanoTime() - lastStatus > STATUS_EVERY_NANOS) {
                    status.accept("waiting for the workers of run '" + runId + "': " + left + " corpus partition(s) of "
                            + topics.corpus() + " not yet produced");
                    lastStatus = System.nanoTime();
                }
                Thread.sleep(POLL.toMillis());
            }
            List<TopicPartition> outputs = new ArrayList<>();
            for (String topic : List.of(topics.activations(), topics.documents(), topics.evaluations())) {
                if (committed.listTopics().containsKey(topic)) {
                    committed.partitionsFor(topic).forEach(p -> outputs.add(new TopicPartition(topic, p.partition())));
                }
            }
            Map<TopicPartition, Long> logEnds = uncommitted.endOffsets(outputs);
            while (true) {
                Map<TopicPartition, Long> stable = committed.endOffsets(outputs);
                long open = outputs.stream()
                        .filter(p -> stable.get(p) < logEnds.get(p))
                        .count();
                if (open == 0) {
                    return;
                }
                if (System.nanoTime() - lastStatus > STATUS_EVERY_NANOS) {
                    status.accept("waiting for " + open + " partition(s) with a transaction open (a killed worker's "
                            + "ends at its transaction timeout) before counting run '" + runId + "'");
                    lastStatus = System.nanoTime();
                }
                Thread.sleep(POLL.toMillis());
            }
        }
    }

    /**
     * Corpus partitions with records past the group's committed offset, for a {@code read_committed} consumer. The
     * workers' stop rule is the same count from their own consumer ({@code CorpusWorker.corpusConsumed}; producers
     * cannot depend on the job, which is why the rule is written twice).
     */
    private static int unconsumedPartitions(
            org.apache.kafka.clients.consumer.Consumer<?, ?> consumer, String corpusTopic) {
        List<TopicPartition> partitions = consumer.partitionsFor(corpusTopic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        Map<TopicPartition, OffsetAndMetadata> at = consumer.committed(Set.copyOf(partitions));
        return (int) partitions.stream()
                .filter(p -> ends.get(p) > 0 && (at.get(p) == null || at.get(p).offset() < ends.get(p)))
                .count();
    }

    private static KafkaConsumer<byte[], byte[]> consumer(
            String bootstrapServers, String groupId, IsolationLevel isolation) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                isolation.toString()));
        if (groupId != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId); // only to read its offsets: it never subscribes
        }
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
