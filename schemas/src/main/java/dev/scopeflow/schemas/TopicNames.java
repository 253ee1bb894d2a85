package dev.scopeflow.schemas;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Kafka topic names, {@code <prefix>.<name>.v<N>}. The version suffix changes only with an incompatible
 * record format (e.g. activation schema v2 goes to {@code activations.v2}), so old and new producers can
 * run side by side. A prefix separates deployments sharing a cluster ({@code dev}, {@code ci-1234}).
 *
 * <p>Record keys: {@link #docKey} — the document id as 8 bytes big-endian — on the corpus, activations, documents
 * and evaluations topics, so all batches of one document land on one partition, in order.
 */
public final class TopicNames {

    public static final String DEFAULT_PREFIX = "scopeflow";

    /** Kafka's legal topic characters ({@code org.apache.kafka.common.internals.Topic}). */
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    private static final int KAFKA_MAX_TOPIC_LENGTH = 249;
    private static final String LONGEST_SUFFIX = ".dead-letter.v1";

    private final String prefix;

    private TopicNames(String prefix) {
        this.prefix = prefix;
    }

    /** Topics under {@value #DEFAULT_PREFIX}. */
    public static TopicNames defaults() {
        return new TopicNames(DEFAULT_PREFIX);
    }

    /** Topics under {@code prefix}; rejects characters Kafka does not allow in topic names. */
    public static TopicNames withPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!LEGAL.matcher(prefix).matches()) {
            throw new IllegalArgumentException("topic prefix '" + prefix
                    + "' must be non-empty and use only ASCII letters, digits, '.', '_' and '-'");
        }
        if (prefix.startsWith(".") || prefix.endsWith(".")) {
            throw new IllegalArgumentException(
                    "topic prefix '" + prefix + "' must not start or end with '.' (the separator is added)");
        }
        if (prefix.length() + LONGEST_SUFFIX.length() > KAFKA_MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("topic prefix is " + prefix.length()
                    + " characters; topic names would exceed Kafka's limit of " + KAFKA_MAX_TOPIC_LENGTH);
        }
        return new TopicNames(prefix);
    }

    public String prefix() {
        return prefix;
    }

    /**
     * The documents of enqueued runs ({@link CorpusDocument}, JSON), keyed by {@link #docKey}, written in Kafka
     * transactions by {@code scopeflow enqueue}: read it with {@code isolation.level=read_committed}.
     */
    public String corpus() {
        return prefix + ".corpus.v1";
    }

    /**
     * The consumer group of every worker of {@code runId} on {@link #corpus()} (a run has one model: its run_sites
     * record it). Its committed offsets say how far the run's production got: the workers commit them in their
     * transactions, and a bounded job over the run waits until they reach the corpus's end.
     */
    public String workerGroup(String runId) {
        return "scopeflow-worker." + corpus() + "." + RunId.validate(runId);
    }

    /** Arrow activation batches ({@link ActivationBatchCodec}), keyed by {@link #docKey}. */
    public String activations() {
        return prefix + ".activations.v1";
    }

    /** Document text and token ids, keyed by {@link #docKey}. */
    public String documents() {
        return prefix + ".documents.v1";
    }

    /**
     * Per-window model-in-the-loop sums of the SAEs a producer evaluates ({@link WindowEvaluation}, JSON), keyed by
     * {@link #docKey}.
     */
    public String evaluations() {
        return prefix + ".evals.v1";
    }

    /** Records a consumer could not decode, with the original key and value and the reason in headers. */
    public String deadLetter() {
        return prefix + ".dead-letter.v1";
    }

    /** The record key for a document: its id as 8 bytes, big-endian (Kafka's LongSerializer layout). */
    public static byte[] docKey(long docId) {
        return ByteBuffer.allocate(Long.BYTES).putLong(docId).array();
    }

    /** Inverse of {@link #docKey}. */
    public static long docIdFromKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != Long.BYTES) {
            throw new IllegalArgumentException("document key must be 8 bytes, got " + key.length);
        }
        return ByteBuffer.wrap(key).getLong();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicNames other && prefix.equals(other.prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    @Override
    public String toString() {
        return "TopicNames{prefix=" + prefix + "}";
    }
}
