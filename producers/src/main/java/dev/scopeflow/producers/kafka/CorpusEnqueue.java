package dev.scopeflow.producers.kafka;

import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.corpus.CorpusStats;
import dev.scopeflow.producers.corpus.Document;
import dev.scopeflow.schemas.CorpusDocument;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.TopicNames;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code scopeflow enqueue}: a run's documents onto the corpus topic ({@link TopicNames#corpus()}) as
 * {@link CorpusDocument}s keyed by document id, for workers to consume. Document ids and skipped records are the
 * corpus reader's, the same as {@code produce} assigns.
 *
 * <p>Crash safety: the documents go out in Kafka transactions of a few hundred, in corpus order, under a
 * transactional id of the run ({@link #transactionalId}). Transactions commit one after the other, so what a
 * {@code read_committed} reader sees of the run is always a prefix of its documents. A rerun first calls
 * {@code initTransactions}, which fences a previous enqueue of the run and aborts the transaction it left open
 * (its records may be in the log, written before the kill but never acknowledged; aborted, no committed reader
 * ever sees them), then reads the run's committed documents ({@link CommittedCorpus}) and goes on after the last
 * one. "Already published" thus means "committed": a record sent but not committed when the JVM died is sent again
 * and is the only copy readers see. The idempotent producer alone would not do: it deduplicates retries of one
 * producer session, not the sends of a new process. Once every document is committed, {@link Recorder} records the
 * run's count; a run recorded so is refused by the caller before this starts.
 */
public final class CorpusEnqueue {

    /**
     * Documents per transaction by default. Commits dominate with short documents: 19,570 one-line documents in
     * transactions of 50 took 8.9 s on the local broker of the 2-core dev machine (~20 ms a commit); a resume
     * redoes at most one transaction.
     */
    public static final int DEFAULT_DOCUMENTS_PER_TRANSACTION = 500;

    /** A transaction is committed early once it holds this much text, so it stays well within its timeout. */
    static final long MAX_TRANSACTION_BYTES = 64L << 20;

    /** The largest record value sent: the topic's limit less room for the key and the record and batch headers. */
    static final int MAX_RECORD_BYTES = KafkaTopics.CORPUS_MAX_MESSAGE_BYTES - 4096;

    private CorpusEnqueue() {}

    /** Records a run whose every document is committed to the corpus topic (the CLI writes {@code run_corpus}). */
    @FunctionalInterface
    public interface Recorder {
        void record(String runId, String topic, CorpusStats stats);
    }

    /**
     * What to enqueue under which run id, how many documents per transaction, and whether a corpus without documents
     * is accepted (then nothing is sent or recorded).
     */
    public record Settings(String runId, int documentsPerTransaction, boolean allowEmpty) {
        public Settings {
            RunId.validate(runId);
            if (documentsPerTransaction < 1) {
                throw new IllegalArgumentException(
                        "documents per transaction must be >= 1, got " + documentsPerTransaction);
            }
        }

        public static Settings of(String runId) {
            return new Settings(runId, DEFAULT_DOCUMENTS_PER_TRANSACTION, false);
        }
    }

    /**
     * {@code documents}: the run's documents, all now committed; {@code alreadyCommitted} of them were committed by
     * an earlier, interrupted enqueue and not sent again; {@code stats}: the whole corpus as the reader saw it.
     */
    public record Report(String topic, long documents, long alreadyCommitted, CorpusStats stats, double seconds) {
        public long sent() {
            return documents - alreadyCommitted;
        }
    }

    /**
     * The transactional id of a run's enqueue: one per (corpus topic, run), so a rerun fences the enqueue it
     * replaces and enqueues of other runs run side by side.
     */
    public static String transactionalId(TopicNames topics, String runId) {
        return "scopeflow-enqueue." + topics.corpus() + "." + RunId.validate(runId);
    }

    /**
     * Enqueues {@code corpusPath} (text lines, JSONL with the text in {@code textField}, or a directory) under
     * {@code settings.runId()}, resuming after the documents an interrupted enqueue of the run committed; creates
     * missing topics. A corpus without documents, or one that does not match what the run already committed, is an
     * error before anything is sent.
     */
    public static Report run(
            Path corpusPath,
            String textField,
            String bootstrapServers,
            TopicNames topics,
            int partitions,
            Settings settings,
            Recorder recorder) {
        Objects.requireNonNull(recorder, "recorder");
        long started = System.nanoTime();
        KafkaTopics.ensure(bootstrapServers, topics, partitions);
        String topic = topics.corpus();
        String runId = settings.runId();
        try (Producer<byte[], byte[]> producer = new KafkaProducer<>(
                        producerProperties(bootstrapServers, transactionalId(topics, runId)),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
                CorpusReader corpus =
                        CorpusReader.open(corpusPath, textField, CorpusReader.DEFAULT_MAX_DOCUMENT_BYTES)) {
            // Before reading what is committed: fences an enqueue of the run still alive and aborts its open
            // transaction, so the scan below sees the final state.
            producer.initTransactions();
            CommittedCorpus committed = CommittedCorpus.read(bootstrapServers, topic, runId);
            long skipped = 0;
            long sent = 0;
            int inTransaction = 0;
            long transactionBytes = 0;
            try {
                for (Document doc : corpus) {
                    if (doc.id() <= committed.lastDocId()) {
                        skipped++;
                        if (doc.id() == committed.lastDocId() && !doc.text().equals(committed.lastText())) {
                            throw corpusChanged(
                                    corpusPath,
                                    runId,
                                    topic,
                                    "document " + doc.id() + " (" + doc.source()
                                            + ") has other text than the one committed");
                        }
                        continue;
                    }
                    if (sent == 0) {
                        requireCommittedPrefix(skipped, committed, corpusPath, runId, topic);
                    }
                    byte[] value = new CorpusDocument(runId, doc.id(), doc.text(), doc.source()).toJson();
                    if (value.length > MAX_RECORD_BYTES) {
                        if (inTransaction > 0) {
                            producer.commitTransaction(); // a rerun resumes at this document, and says so again
                            inTransaction = 0;
                        }
                        throw new IllegalArgumentException("document " + doc.id() + " (" + doc.source() + ") is "
                                + value.length + " bytes as a corpus record, over the " + MAX_RECORD_BYTES
                                + " the corpus topic takes; the documents before it are committed");
                    }
                    if (inTransaction == 0) {
                        producer.beginTransaction();
                    }
                    producer.send(new ProducerRecord<>(topic, TopicNames.docKey(doc.id()), value));
                    sent++;
                    inTransaction++;
                    transactionBytes += value.length;
                    if (inTransaction >= settings.documentsPerTransaction()
                            || transactionBytes >= MAX_TRANSACTION_BYTES) {
                        producer.commitTransaction();
                        inTransaction = 0;
                        transactionBytes = 0;
                    }
                }
                if (inTransaction > 0) {
                    producer.commitTransaction();
                    inTransaction = 0;
                }
            } catch (RuntimeException e) {
                if (inTransaction > 0) {
                    // Not left open until its timeout: an open transaction holds back every committed reader of
                    // its partitions, other runs' enqueues and workers included.
                    abortQuietly(producer, e);
                }
                throw e;
            }
            requireCommittedPrefix(skipped, committed, corpusPath, runId, topic);
            CorpusStats stats = corpus.stats();
            if (stats.documents() == 0) {
                if (settings.allowEmpty()) {
                    return new Report(topic, 0, 0, stats, (System.nanoTime() - started) / 1e9);
                }
                throw new IllegalArgumentException(
                        corpusPath + ": no documents to enqueue (" + stats + "); nothing was published");
            }
            recorder.record(runId, topic, stats);
            return new Report(topic, skipped + sent, skipped, stats, (System.nanoTime() - started) / 1e9);
        } catch (ProducerFencedException e) {
            throw new IllegalStateException(
                    "another enqueue of run '" + runId + "' started and took over " + transactionalId(topics, runId)
                            + "; this one stopped",
                    e);
        } catch (KafkaException e) {
            throw new IllegalStateException(
                    "enqueue of run '" + runId + "' to " + topic + " on Kafka "
                            + bootstrapServers + " failed (committed documents stay; run it again to resume): "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Activation producers' settings (acks=all, idempotent, zstd), made transactional, with room for a document of
     * the reader's size limit.
     */
    static Properties producerProperties(String bootstrapServers, String transactionalId) {
        Properties props = ActivationPublisher.producerProperties(bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(KafkaTopics.CORPUS_MAX_MESSAGE_BYTES));
        return props;
    }

    /** The corpus's documents up to the last committed id must be as many as the run has committed. */
    private static void requireCommittedPrefix(
            long skipped, CommittedCorpus committed, Path corpus, String runId, String topic) {
        if (skipped != committed.documents()) {
            throw corpusChanged(
                    corpus,
                    runId,
                    topic,
                    "it has " + skipped + " documents up to id " + committed.lastDocId() + ", the topic "
                            + committed.documents());
        }
    }

    private static void abortQuietly(Producer<byte[], byte[]> producer, RuntimeException cause) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            cause.addSuppressed(e); // fenced or broken: the next enqueue of the run aborts it
        }
    }

    private static IllegalStateException corpusChanged(Path corpus, String runId, String topic, String what) {
        return new IllegalStateException(corpus + " is not the corpus run '" + runId + "' was enqueued from to " + topic
                + ": " + what + "; nothing more was published (use the same corpus to resume, or a new run id)");
    }
}
