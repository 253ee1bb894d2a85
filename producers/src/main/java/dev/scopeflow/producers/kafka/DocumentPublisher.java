package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.TopicNames;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes {@link DocumentWindow}s to the documents topic as their JSON form, keyed by document id ({@link TopicNames#docKey})
 * like the activation batches, so a document's windows and its activations share a partition number when both
 * topics have the same partition count. Same producer settings as the activations (idempotent, acks=all).
 */
public final class DocumentPublisher implements Consumer<DocumentWindow>, AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final KafkaSendTracker sends;

    public DocumentPublisher(Properties producerProperties, TopicNames topics) {
        this(new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer()), topics);
    }

    /** Publishes through {@code producer} (tests pass a {@code MockProducer}); closes it on {@link #close()}. */
    DocumentPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topic = topics.documents();
        this.sends = new KafkaSendTracker(topic, "document");
    }

    @Override
    public void accept(DocumentWindow record) {
        sends.check();
        byte[] value = record.toJson();
        producer.send(
                new ProducerRecord<>(topic, TopicNames.docKey(record.docId()), value), sends.callback(value.length));
    }

    /** Blocks until every record sent so far is acknowledged; throws the first failure. */
    public void flush() {
        sends.flush(producer);
    }

    /** Document records acknowledged by Kafka so far. */
    public long recordsSent() {
        return sends.acknowledgedRecords();
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close();
        }
    }
}
