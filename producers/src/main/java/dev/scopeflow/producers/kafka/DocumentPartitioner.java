package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.TopicNames;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * Puts document {@code d}'s records on partition {@code d mod partitions} of every topic keyed by {@link
 * TopicNames#docKey}. Kafka's default (a murmur2 hash of the key) keeps a document on one partition too, but spreads
 * documents unevenly: 64 documents hashed over 8 partitions landed 5 to 11 per partition, and a bounded job, whose
 * subtasks each read a fixed set of partitions, lasts as long as its most loaded subtask. Document ids are dense
 * (a corpus record's ordinal, an array's sequence index), so the modulus gives every partition the same number of
 * documents within one, and a document's batches still stay in order on one partition.
 */
public final class DocumentPartitioner implements Partitioner {

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        if (keyBytes == null || keyBytes.length != Long.BYTES) {
            throw new IllegalArgumentException("records on " + topic + " must be keyed by document id (8 bytes, "
                    + "TopicNames.docKey), got " + (keyBytes == null ? "no key" : keyBytes.length + " bytes"));
        }
        return partition(TopicNames.docIdFromKey(keyBytes), cluster.partitionCountForTopic(topic));
    }

    /** The partition of document {@code docId} on a topic of {@code partitions} partitions. */
    static int partition(long docId, int partitions) {
        return (int) Math.floorMod(docId, (long) partitions);
    }

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public void close() {}
}
