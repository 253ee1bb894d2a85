package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.TopicNames;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class DocumentPartitionerTest {

    private static final Node BROKER = new Node(1, "localhost", 9092);

    /** One broker and a topic of {@code partitions} partitions, as the producer's metadata holds them. */
    private static Cluster clusterWith(String topic, int partitions) {
        List<PartitionInfo> infos = IntStream.range(0, partitions)
                .mapToObj(p -> new PartitionInfo(topic, p, BROKER, new Node[] {BROKER}, new Node[] {BROKER}))
                .toList();
        return new Cluster("c", List.of(BROKER), infos, Set.of(), Set.of());
    }

    @Test
    void documentGoesToItsIdModuloThePartitionCount() {
        Cluster cluster = clusterWith("acts", 8);
        try (DocumentPartitioner partitioner = new DocumentPartitioner()) {
            for (long doc : new long[] {0, 1, 7, 8, 13, 64, 1L << 40, Long.MAX_VALUE}) {
                byte[] key = TopicNames.docKey(doc);
                assertThat(partitioner.partition("acts", key, key, null, null, cluster))
                        .as("doc " + doc)
                        .isEqualTo((int) (doc % 8));
            }
            // A negative id (never assigned by ScopeFlow, but a valid key) still maps into [0, 8).
            byte[] negative = TopicNames.docKey(-3);
            assertThat(partitioner.partition("acts", negative, negative, null, null, cluster))
                    .isEqualTo(5);
        }
    }

    @Test
    void aRecordWithoutADocumentKeyIsRefusedNamingTheTopic() {
        Cluster cluster = clusterWith("acts", 2);
        try (DocumentPartitioner partitioner = new DocumentPartitioner()) {
            assertThatThrownBy(() -> partitioner.partition("acts", null, null, null, null, cluster))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("acts")
                    .hasMessageContaining("no key");
            byte[] shortKey = {1, 2, 3};
            assertThatThrownBy(() -> partitioner.partition("acts", shortKey, shortKey, null, null, cluster))
                    .hasMessageContaining("got 3 bytes");
        }
    }
}
