package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.WindowEvaluation;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a document's JSON records keyed by document id ({@link TopicNames#docKey}) like the activation batches,
 * so a document's windows, evaluations and activations share a partition number when the topics have the same
 * partition count: {@link DocumentWindow}s to the documents topic ({@link #documents}), {@link WindowEvaluation}s
 * to the evaluations topic ({@link #evaluations}). Same producer settings as the activations (idempotent,
 * acks=all).
 */
public final class JsonRecordPublisher<T> implements Consumer<T>, AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Function<T, byte[]> json;
    private final ToLongFunction<T> docId;
    private final KafkaSendTracker sends;

    /** Document windows to the documents topic. */
    public static JsonRecordPublisher<DocumentWindow> documents(Properties producerProperties, TopicNames topics) {
        return documents(producer(producerProperties), topics);
    }

    /** Per-window evaluation sums to the evaluations topic. */
    public static JsonRecordPublisher<WindowEvaluation> evaluations(Properties producerProperties, TopicNames topics) {
        return new JsonRecordPublisher<>(
                producer(producerProperties),
                topics.evaluations(),
                "evaluation",
                WindowEvaluation::toJson,
                WindowEvaluation::docId);
    }

    /** Through {@code producer} (tests pass a {@code MockProducer}). */
    static JsonRecordPublisher<DocumentWindow> documents(Producer<byte[], byte[]> producer, TopicNames topics) {
        return new JsonRecordPublisher<>(
                producer, topics.documents(), "document", DocumentWindow::toJson, DocumentWindow::docId);
    }

    /** Closes {@code producer} on {@link #close()}; {@code what} names the records in errors. */
    private JsonRecordPublisher(
            Producer<byte[], byte[]> producer,
            String topic,
            String what,
            Function<T, byte[]> json,
            ToLongFunction<T> docId) {
        this.producer = producer;
        this.topic = topic;
        this.json = json;
        this.docId = docId;
        this.sends = new KafkaSendTracker(topic, what);
    }

    private static Producer<byte[], byte[]> producer(Properties producerProperties) {
        return new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public void accept(T record) {
        sends.check();
        byte[] value = json.apply(record);
        producer.send(
                new ProducerRecord<>(topic, TopicNames.docKey(docId.applyAsLong(record)), value),
                sends.callback(value.length));
    }

    /** Blocks until every record sent so far is acknowledged; throws the first failure. */
    public void flush() {
        sends.flush(producer);
    }

    /** Records acknowledged by Kafka so far. */
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
