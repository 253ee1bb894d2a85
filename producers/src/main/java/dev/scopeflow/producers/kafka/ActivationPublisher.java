package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.TopicNames;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes activation batches to Kafka, one Arrow IPC stream per record, keyed by document id so that a
 * document's batches stay in order on one partition while documents spread evenly over all partitions
 * ({@link DocumentPartitioner}).
 *
 * <p>The producer is idempotent with {@code acks=all}: a retried send never duplicates a record. Not
 * thread-safe (the codec is thread-confined).
 */
public final class ActivationPublisher implements AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final ActivationBatchCodec codec = new ActivationBatchCodec();
    private final String topic;
    private final KafkaSendTracker sends;
    private final boolean closesProducer;

    public ActivationPublisher(String bootstrapServers, TopicNames topics) {
        this(producerProperties(bootstrapServers), topics);
    }

    public ActivationPublisher(Properties producerProperties, TopicNames topics) {
        this(new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer()), topics);
    }

    /** Publishes through {@code producer} (tests pass a {@code MockProducer}); closes it on {@link #close()}. */
    ActivationPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this(producer, topics, true);
    }

    private ActivationPublisher(Producer<byte[], byte[]> producer, TopicNames topics, boolean closesProducer) {
        this.producer = producer;
        this.topic = topics.activations();
        this.sends = new KafkaSendTracker(topic, "activation batch");
        this.closesProducer = closesProducer;
    }

    /**
     * Publishes through a producer the caller shares with other publishers and closes itself (a worker's
     * transactional producer, so one transaction holds every topic's records); {@link #close()} leaves it open.
     */
    static ActivationPublisher sharing(Producer<byte[], byte[]> producer, TopicNames topics) {
        return new ActivationPublisher(producer, topics, false);
    }

    /** The settings every ScopeFlow activation producer uses; callers may add to them. */
    public static Properties producerProperties(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, DocumentPartitioner.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        // One record is one Arrow batch; a 64-row x 2304 bf16 batch is ~300 KB.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 * 1024 * 1024));
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(1024 * 1024));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        return props;
    }

    /**
     * Sends one batch asynchronously; {@link #flush()} waits for all sends and surfaces any failure. Throws at once
     * if an earlier send has already failed, so a long run stops instead of computing activations nobody receives.
     */
    public void publish(ActivationBatch batch) {
        if (batch.rows() == 0) {
            return;
        }
        sends.check();
        byte[] value = codec.encode(batch);
        byte[] key = TopicNames.docKey(batch.docId(0));
        producer.send(new ProducerRecord<>(topic, key, value), sends.callback(value.length));
    }

    /** Blocks until every batch sent so far is acknowledged by all in-sync replicas; throws the first failure. */
    public void flush() {
        sends.flush(producer);
    }

    /** Batches acknowledged by Kafka so far (after {@link #flush()}: every batch published). */
    public long recordsSent() {
        return sends.acknowledgedRecords();
    }

    /** Encoded Arrow bytes of the acknowledged batches (before Kafka's compression). */
    public long bytesSent() {
        return sends.acknowledgedBytes();
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            if (closesProducer) {
                producer.close();
            }
            codec.close();
        }
    }
}
