package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Send outcomes are tracked by callbacks: acknowledgements are counted, the first failure surfaces on flush. */
class ActivationPublisherTest {

    private static final TopicNames TOPICS = TopicNames.withPrefix("t");

    @Test
    void acknowledgedBatchesAreCountedWithoutHoldingFutures() {
        MockProducer<byte[], byte[]> producer = manualProducer();
        try (ActivationPublisher publisher = new ActivationPublisher(producer, TOPICS)) {
            publisher.publish(batch(7));
            publisher.publish(batch(8));
            assertThat(publisher.recordsSent()).isZero(); // sent, not yet acknowledged
            publisher.flush();
            assertThat(publisher.recordsSent()).isEqualTo(2);
            assertThat(publisher.bytesSent()).isPositive();
            assertThat(producer.history())
                    .extracting(r -> TopicNames.docIdFromKey(r.key()))
                    .containsExactly(7L, 8L);
        }
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void aFailedSendSurfacesOnFlushNamingTheTopicAndStopsLaterPublishes() {
        MockProducer<byte[], byte[]> producer = manualProducer();
        ActivationPublisher publisher = new ActivationPublisher(producer, TOPICS);
        publisher.publish(batch(1));
        publisher.publish(batch(2));
        publisher.publish(batch(3));
        producer.completeNext();
        producer.errorNext(new RecordTooLargeException("record of 9 MB is larger than max.request.size"));

        assertThatThrownBy(publisher::flush)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic " + TOPICS.activations())
                .hasMessageContaining("rejected 1 activation batch record(s)")
                .hasMessageContaining("2 acknowledged")
                .hasMessageContaining("larger than max.request.size")
                .hasCauseInstanceOf(RecordTooLargeException.class);
        // The run has lost data: later publishes and the final close say so too instead of carrying on.
        assertThatThrownBy(() -> publisher.publish(batch(4))).hasMessageContaining(TOPICS.activations());
        assertThatThrownBy(publisher::close).hasMessageContaining(TOPICS.activations());
        assertThat(producer.history()).hasSize(3);
        assertThat(producer.closed())
                .as("the producer is closed even when close reports a failure")
                .isTrue();
    }

    /** Sends stay incomplete until the test completes or fails them; flush completes the rest successfully. */
    private static MockProducer<byte[], byte[]> manualProducer() {
        return new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static ActivationBatch batch(long docId) {
        return new ActivationBatch(
                "run",
                "model",
                Site.parse("res.0"),
                2,
                ActivationDtype.F32,
                new long[] {docId},
                new int[] {0},
                new int[] {2},
                new float[] {1f, -2f});
    }
}
