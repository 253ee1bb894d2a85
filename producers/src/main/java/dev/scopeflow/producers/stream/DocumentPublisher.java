package dev.scopeflow.producers.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.schemas.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Publishes {@link DocumentRecord}s to the documents topic as JSON, keyed by document id ({@link TopicNames#docKey})
 * like the activation batches, so a document's windows and its activations share a partition number when both
 * topics have the same partition count. Same producer settings as the activations (idempotent, acks=all).
 */
public final class DocumentPublisher implements Consumer<DocumentRecord>, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final List<Future<RecordMetadata>> inFlight = new ArrayList<>();

    public DocumentPublisher(Properties producerProperties, TopicNames topics) {
        this.producer = new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topics.documents();
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

    @Override
    public void accept(DocumentRecord record) {
        if (inFlight.size() >= 10_000) {
            flush(); // bounds the futures held and surfaces failures early on long runs
        }
        inFlight.add(producer.send(new ProducerRecord<>(topic, TopicNames.docKey(record.docId()), encode(record))));
    }

    /** Blocks until every record sent so far is acknowledged; surfaces the first failure. */
    public void flush() {
        producer.flush();
        try {
            for (Future<RecordMetadata> f : inFlight) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka acknowledgements", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka rejected a document record for topic " + topic + ": "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            inFlight.clear();
        }
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
