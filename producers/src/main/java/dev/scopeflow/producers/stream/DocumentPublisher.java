package dev.scopeflow.producers.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.producers.KafkaSendTracker;
import dev.scopeflow.schemas.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;
import java.util.function.Consumer;

/**
 * Publishes {@link DocumentRecord}s to the documents topic as JSON, keyed by document id ({@link TopicNames#docKey})
 * like the activation batches, so a document's windows and its activations share a partition number when both
 * topics have the same partition count. Same producer settings as the activations (idempotent, acks=all).
 */
public final class DocumentPublisher implements Consumer<DocumentRecord>, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** The record's JSON: run_id, doc_id, window, first_position, token_ids and, when present, text/source. */
    public static byte[] encode(DocumentRecord record) {
        ObjectNode node = JSON.createObjectNode();
        node.put("run_id", record.runId());
        node.put("doc_id", record.docId());
        node.put("window", record.window());
        node.put("first_position", record.firstPosition());
        var ids = node.putArray("token_ids");
        for (int id : record.tokenIds()) {
            ids.add(id);
        }
        if (record.text() != null) {
            node.put("text", record.text());
            node.put("text_truncated", record.textTruncated());
            node.put("source", record.source());
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode document " + record.docId(), e);
        }
    }

    /** Sends asynchronously; throws at once if an earlier send has failed (see {@link KafkaSendTracker}). */
    @Override
    public void accept(DocumentRecord record) {
        sends.check();
        byte[] value = encode(record);
        producer.send(new ProducerRecord<>(topic, TopicNames.docKey(record.docId()), value), sends.callback(value.length));
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
