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
    private final boolean closesProducer;

    /** Document windows to the documents topic. */
    public static JsonRecordPublisher<DocumentWindow> documents(Properties producerProperties, TopicNames topics) {
        return documents(producer(producerProperties), topics);
    }

    /** Per-window evaluation sums to the evaluations topic. */
    public static JsonRecordPublisher<WindowEvaluation> evaluations(Properties producerProperties, TopicNames topics) {
        return evaluations(producer(producerProperties), topics, true);
    }

    /** Through {@code producer} (tests pass a {@code MockProducer}). */
    static JsonRecordPublisher<DocumentWindow> documents(Producer<byte[], byte[]> producer, TopicNames topics) {
        return documents(producer, topics, true);
    }

    /**
     * Through a producer the caller shares with other publishers and closes itself (a worker's transactional
     * producer); {@link #close()} leaves it open.
     */
    static JsonRecordPublisher<DocumentWindow> documentsSharing(Producer<byte[], byte[]> producer, TopicNames topics) {
        return documents(producer, topics, false);
    }

    /** Like {@link #documentsSharing}, for the evaluations topic. */
    static JsonRecordPublisher<WindowEvaluation> evaluationsSharing(
            Producer<byte[], byte[]> producer, TopicNames topics) {
        return evaluations(producer, topics, false);
    }

    private static JsonRecordPublisher<DocumentWindow> documents(
            Producer<byte[], byte[]> producer, TopicNames topics, boolean closesProducer) {
        return new JsonRecordPublisher<>(
                producer,
                topics.documents(),
                "document",
                DocumentWindow::toJson,
                DocumentWindow::docId,
                closesProducer);
    }

    private static JsonRecordPublisher<WindowEvaluation> evaluations(
            Producer<byte[], byte[]> producer, TopicNames topics, boolean closesProducer) {
        return new JsonRecordPublisher<>(
                producer,
                topics.evaluations(),
                "evaluation",
                WindowEvaluation::toJson,
                WindowEvaluation::docId,
                closesProducer);
    }

    /** {@code what} names the records in errors; closes {@code producer} on {@link #close()} if it owns it. */
    private JsonRecordPublisher(
            Producer<byte[], byte[]> producer,
            String topic,
            String what,
            Function<T, byte[]> json,
            ToLongFunction<T> docId,
            boolean closesProducer) {
        this.producer = producer;
        this.topic = topic;
        this.json = json;
        this.docId = docId;
        this.sends = new KafkaSendTracker(topic, what);
        this.closesProducer = closesProducer;
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
            if (closesProducer) {
                producer.close();
            }
        }
    }
}
