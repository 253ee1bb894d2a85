package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.TopicNames;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Document records share the activations' send tracking: a failure surfaces on flush, naming the topic. */
class JsonRecordPublisherTest {

    private static final TopicNames TOPICS = TopicNames.withPrefix("t");

    @Test
    void aFailedSendSurfacesOnFlushNamingTheDocumentsTopic() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        JsonRecordPublisher<DocumentWindow> publisher = JsonRecordPublisher.documents(producer, TOPICS);
        publisher.accept(record(1));
        publisher.accept(record(2));
        producer.errorNext(new NotEnoughReplicasException("2 in-sync replicas, 3 required"));

        assertThatThrownBy(publisher::flush)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("rejected 1 document record(s) for topic " + TOPICS.documents())
                .hasMessageContaining("in-sync replicas");
        assertThat(publisher.recordsSent()).isEqualTo(1);
        assertThatThrownBy(() -> publisher.accept(record(3))).hasMessageContaining(TOPICS.documents());
        assertThatThrownBy(publisher::close).hasMessageContaining(TOPICS.documents());
        assertThat(producer.closed()).isTrue();
    }

    private static DocumentWindow record(long docId) {
        return new DocumentWindow("run", docId, 0, 0, new int[] {2, 5}, "text", "corpus.txt", false);
    }
}
