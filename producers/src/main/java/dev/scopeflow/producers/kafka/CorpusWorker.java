package dev.scopeflow.producers.kafka;

import dev.scopeflow.producers.corpus.CorpusStats;
import dev.scopeflow.producers.corpus.Document;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProducerProgress;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.CorpusDocument;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.WindowEvaluation;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code scopeflow worker}: one member of a run's worker group. It consumes the run's documents from the corpus
 * topic ({@code scopeflow enqueue} put them there), runs them through the model exactly as {@code produce} does, and
 * publishes their activation batches, document windows and evaluations <em>in a Kafka transaction together with the
 * consumed offsets</em> (read-process-write). A worker killed at any point leaves an open transaction that is
 * aborted (when it restarts under the same worker id, or at the transaction timeout), its offsets stay where the
 * last commit put them, and the group hands its documents to whoever holds the partitions next: every document's
 * records become visible to {@code read_committed} readers (the statistics job) exactly once.
 *
 * <p>Group and ids: all workers of a (corpus topic, run) share one consumer group ({@link #groupId}); the
 * corpus topic's partition count bounds how many of them get documents. Each worker's transactional id is
 * {@link #transactionalId} of its worker id: a restarted worker fences its former self and aborts what it left
 * open at once; two live workers must have different ids (the older one stops, fenced). Transactions are fenced on
 * the group's generation too (KIP-447), so a worker that lost its partitions in a rebalance cannot commit their
 * offsets.
 *
 * <p>A transaction holds whole documents, from as many polls as it takes: after every document the worker checks
 * whether the transaction has {@code documentsPerTransaction} documents or has been open {@link #COMMIT_INTERVAL}
 * (at most half the transaction timeout), and if so forwards the windows still waiting for a batch and commits; it
 * commits too when a poll brings nothing, and before a rebalance takes partitions away. The worker ends once the run is complete: its enqueue recorded
 * (the caller's {@code enqueueComplete}) and the group's committed offsets at the end of every corpus partition.
 */
public final class CorpusWorker {

    private static final Logger LOG = LoggerFactory.getLogger(CorpusWorker.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /** How long the group waits for a silent worker before its partitions go to the others (Kafka's default: 45 s). */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

    private static final long IDLE_CHECK_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    /** Consecutive failed transactions before the worker gives up (a broker down for minutes, say). */
    private static final int MAX_CONSECUTIVE_FAILURES = 10;

    /**
     * A transaction is committed once it has been open this long (or half the transaction timeout, if less): each
     * commit stalls the model while the last sends are acknowledged and the markers written, so commits are few,
     * and a killed worker's redo is at most this much work.
     */
    public static final Duration COMMIT_INTERVAL = Duration.ofSeconds(10);

    /** Documents a poll hands over at most; a transaction spans polls, so this bounds only the work per poll. */
    static final int MAX_POLL_RECORDS = 8;

    /** How a worker batches its transactions. */
    public record Settings(String workerId, int documentsPerTransaction, Duration transactionTimeout) {
        /** Kafka's own default transaction timeout; a transaction is committed after half of it at the latest. */
        public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(1);

        public static final int DEFAULT_DOCUMENTS_PER_TRANSACTION = 1000;

        public Settings {
            RunId.validate(Objects.requireNonNull(workerId, "workerId")); // same alphabet as run ids
            if (documentsPerTransaction < 1) {
                throw new IllegalArgumentException(
                        "documents per transaction must be >= 1, got " + documentsPerTransaction);
            }
            if (transactionTimeout.toMillis() < 2_000) {
                throw new IllegalArgumentException("transaction timeout must be >= 2 s, got " + transactionTimeout);
            }
        }

        public static Settings of(String workerId) {
            return new Settings(workerId, DEFAULT_DOCUMENTS_PER_TRANSACTION, DEFAULT_TRANSACTION_TIMEOUT);
        }
    }

    /**
     * What this worker committed ({@code production}: documents, windows, tokens, batches of committed transactions
     * only, over the seconds from its first document to its last commit; its corpus counts are empty, the enqueue
     * has them), corpus records of other runs or undecodable ones
     * passed over, transactions committed and aborted (an aborted one's documents were done again).
     */
    public record Report(
            CorpusProducer.Report production, long skippedRecords, long transactions, long abortedTransactions) {}

    /**
     * Told what a worker session has committed: after a commit at most every {@link #PROGRESS_INTERVAL}, and once
     * at the end with {@code finished}. The CLI writes it to ClickHouse's {@code worker_progress}; a recorder that
     * fails is logged and does not stop the worker.
     */
    @FunctionalInterface
    public interface ProgressRecorder {
        ProgressRecorder NONE = (runId, workerId, session, report, finished) -> {};

        void record(String runId, String workerId, String session, Report report, boolean finished);
    }

    /** How often a worker's progress is recorded at most. */
    public static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

    private CorpusWorker() {}

    /**
     * Whether the run's group ({@code consumer}'s committed offsets are the group's) has consumed every corpus
     * partition to its end as committed readers see it. {@code consumer} reads {@code read_committed}, so an
     * enqueue's open transaction does not count as part of the corpus yet. A bounded job waits on the same rule
     * ({@code RunCompletion} in flink-jobs, which producers cannot depend on).
     */
    static boolean corpusConsumed(Consumer<?, ?> consumer, String corpusTopic) {
        List<TopicPartition> partitions = consumer.partitionsFor(corpusTopic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        Map<TopicPartition, OffsetAndMetadata> at = consumer.committed(Set.copyOf(partitions));
        return partitions.stream()
                .noneMatch(
                        p -> ends.get(p) > 0 && (at.get(p) == null || at.get(p).offset() < ends.get(p)));
    }

    /** The transactional id of worker {@code workerId} of {@code runId}: stable across restarts of that worker. */
    public static String transactionalId(TopicNames topics, String runId, String workerId) {
        return topics.workerGroup(runId) + "." + workerId;
    }

    /**
     * Runs until the run is complete (see the class comment). {@code production.runId()} picks the group; documents
     * of other runs on the corpus topic are passed over (their offsets still committed).
     */
    public static Report run(
            Gemma2Model model,
            GemmaTokenizer tokenizer,
            String bootstrapServers,
            TopicNames topics,
            CorpusProducer.Settings production,
            List<CorpusProducer.Evaluation> evaluations,
            Settings settings,
            BooleanSupplier enqueueComplete,
            ProgressRecorder recorder,
            ProducerProgress progress) {
        String runId = production.runId();
        try (Consumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                consumerProperties(bootstrapServers, topics.workerGroup(runId), settings),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Loop loop = new Loop(
                    model,
                    tokenizer,
                    bootstrapServers,
                    topics,
                    production,
                    evaluations,
                    settings,
                    consumer,
                    enqueueComplete,
                    recorder,
                    progress);
            try {
                return loop.run();
            } finally {
                loop.close();
            }
        }
    }

    static Properties consumerProperties(String bootstrapServers, String groupId, Settings settings) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(MAX_POLL_RECORDS, settings.documentsPerTransaction()));
        // A poll's documents are all processed before the next poll: allow a slow device the time for them.
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int)
                Duration.ofMinutes(30).toMillis());
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, KafkaTopics.CORPUS_MAX_MESSAGE_BYTES);
        // Heartbeats run on their own thread, so this only bounds how long a dead worker keeps its partitions.
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) SESSION_TIMEOUT.toMillis());
        return props;
    }

    static Properties producerProperties(String bootstrapServers, String transactionalId, Settings settings) {
        Properties props = ActivationPublisher.producerProperties(bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int)
                settings.transactionTimeout().toMillis());
        return props;
    }

    /** The poll loop and its transaction; one per worker run. */
    private static final class Loop {
        private final Gemma2Model model;
        private final GemmaTokenizer tokenizer;
        private final String bootstrapServers;
        private final TopicNames topics;
        private final CorpusProducer.Settings production;
        private final List<CorpusProducer.Evaluation> evaluations;
        private final Settings settings;
        private final Consumer<byte[], byte[]> consumer;
        private final BooleanSupplier enqueueComplete;
        private final ProducerProgress progress;
        private final ProgressRecorder recorder;
        private final String session = UUID.randomUUID().toString();
        private long lastRecorded = System.nanoTime();
        private final String transactionalId;

        private Producer<byte[], byte[]> producer;
        private Publishers publishers;
        /** Offsets after the records the open transaction has processed. */
        private final Map<TopicPartition, OffsetAndMetadata> pendingOffsets = new HashMap<>();

        private boolean inTransaction;
        private long transactionStart;
        private long documentsInTransaction;
        private CorpusProducer.Report atTransactionStart;
        private CorpusProducer.Report committed = CorpusProducer.Report.none(new CorpusStats());
        private long skipped;
        private long transactions;
        private long aborted;
        private int consecutiveFailures;
        /** From the first document to the last commit: what the report's rate is over (joining and waiting left out). */
        private long firstDocumentNanos;

        private long lastCommitNanos;
        private long lastIdleCheck;

        Loop(
                Gemma2Model model,
                GemmaTokenizer tokenizer,
                String bootstrapServers,
                TopicNames topics,
                CorpusProducer.Settings production,
                List<CorpusProducer.Evaluation> evaluations,
                Settings settings,
                Consumer<byte[], byte[]> consumer,
                BooleanSupplier enqueueComplete,
                ProgressRecorder recorder,
                ProducerProgress progress) {
            this.model = model;
            this.tokenizer = tokenizer;
            this.bootstrapServers = bootstrapServers;
            this.topics = topics;
            this.production = production;
            this.evaluations = List.copyOf(evaluations);
            this.settings = settings;
            this.consumer = consumer;
            this.enqueueComplete = enqueueComplete;
            this.progress = progress;
            this.recorder = recorder;
            this.transactionalId = transactionalId(topics, production.runId(), settings.workerId());
        }

        Report run() {
            openProducer();
            consumer.subscribe(List.of(topics.corpus()), new CommitBeforeRebalance());
            progress.start();
            while (true) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (records.isEmpty()) {
                    // Nothing more to do now: what the open transaction holds becomes visible.
                    guarded(this::commit);
                    if (idleCheckDue()) {
                        commitPastMarkers();
                        if (runComplete()) {
                            break;
                        }
                    }
                    continue;
                }
                guarded(() -> {
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        process(record);
                        if (transactionFull()) {
                            commit();
                        }
                    }
                });
            }
            progress.finish(committed.documents(), committed.tokens());
            Report report = report();
            record(report, true);
            return report;
        }

        /** Runs {@code step}; a Kafka failure aborts the open transaction and rewinds ({@link #recover}). */
        private void guarded(Runnable step) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (!isKafkaFailure(e)) {
                    throw e; // the model or a document: doing it again would fail again
                }
                recover(e);
            }
        }

        /**
         * Transactions span polls, so one may be open when a rebalance takes partitions away (inside
         * {@code poll}): it is committed first, while this worker's generation still owns their offsets; if that
         * fails it is aborted and its documents go to the partitions' next owner.
         */
        private final class CommitBeforeRebalance implements ConsumerRebalanceListener {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                guarded(Loop.this::commit);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                // No longer a member: its offsets cannot be committed, so the documents are redone elsewhere.
                if (inTransaction) {
                    recover(new KafkaException("partitions lost while a transaction was open: " + partitions));
                }
            }
        }

        private CorpusProducer.Report sessionSoFar() {
            return publishers.session.report(committed.corpus(), 0);
        }

        /** A Kafka error, or a publisher's report of a send Kafka failed. */
        private static boolean isKafkaFailure(RuntimeException e) {
            return e instanceof KafkaException || e.getCause() instanceof KafkaException;
        }

        private void process(ConsumerRecord<byte[], byte[]> record) {
            if (!inTransaction) {
                producer.beginTransaction();
                inTransaction = true;
                transactionStart = System.nanoTime();
                documentsInTransaction = 0;
                atTransactionStart = sessionSoFar();
            }
            CorpusDocument doc = decode(record);
            if (doc != null && doc.runId().equals(production.runId())) {
                if (firstDocumentNanos == 0) {
                    firstDocumentNanos = System.nanoTime();
                }
                if (publishers.session.accept(new Document(doc.docId(), doc.text(), doc.source()))) {
                    progress.update(committed.documents() + documentsInTransaction + 1, committed.tokens(), Double.NaN);
                }
                documentsInTransaction++;
            } else {
                skipped++;
            }
            pendingOffsets.put(
                    new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }

        private boolean transactionFull() {
            long open = System.nanoTime() - transactionStart;
            return documentsInTransaction >= settings.documentsPerTransaction()
                    || open > COMMIT_INTERVAL.toNanos()
                    || open > settings.transactionTimeout().toNanos() / 2;
        }

        /** Forwards what waits, adds the offsets and commits; a no-op without an open transaction. */
        private void commit() {
            if (!inTransaction) {
                return;
            }
            publishers.session.flush();
            producer.sendOffsetsToTransaction(Map.copyOf(pendingOffsets), consumer.groupMetadata());
            producer.commitTransaction();
            inTransaction = false;
            pendingOffsets.clear();
            transactions++;
            consecutiveFailures = 0;
            lastCommitNanos = System.nanoTime();
            committed = committed.plus(sessionSoFar().since(atTransactionStart));
            progress.update(committed.documents(), committed.tokens(), Double.NaN);
            if (System.nanoTime() - lastRecorded > PROGRESS_INTERVAL.toNanos()) {
                record(report(), false);
            }
        }

        private Report report() {
            double busy = firstDocumentNanos == 0 ? 0 : Math.max(0, lastCommitNanos - firstDocumentNanos) / 1e9;
            return new Report(committed.withSeconds(busy), skipped, transactions, aborted);
        }

        private void record(Report report, boolean finished) {
            lastRecorded = System.nanoTime();
            try {
                recorder.record(production.runId(), settings.workerId(), session, report, finished);
            } catch (RuntimeException e) {
                LOG.warn("could not record the progress of worker {}: {}", settings.workerId(), e.getMessage());
            }
        }

        /**
         * Aborts the open transaction (or, when the producer is fenced or broken, replaces the producer, which
         * aborts it), starts over with fresh publishers and rewinds the consumer to the group's committed offsets,
         * so the transaction's documents are done again. A fenced worker stops: another worker took its id.
         */
        private void recover(RuntimeException e) {
            if (e instanceof ProducerFencedException) {
                throw new IllegalStateException(
                        "another worker started with worker id '" + settings.workerId() + "' (" + transactionalId
                                + ") and took over; give each worker of a run its own --worker-id",
                        e);
            }
            if (++consecutiveFailures > MAX_CONSECUTIVE_FAILURES) {
                throw new IllegalStateException(
                        "worker '" + settings.workerId() + "' of run '" + production.runId() + "' failed "
                                + MAX_CONSECUTIVE_FAILURES + " transactions in a row on Kafka " + bootstrapServers
                                + "; committed documents stay, start it again to go on: " + e.getMessage(),
                        e);
            }
            LOG.warn("transaction of worker {} failed, aborting it and redoing its documents", transactionalId, e);
            boolean fatal = e instanceof OutOfOrderSequenceException || e instanceof AuthorizationException;
            if (inTransaction && !fatal) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException abortFailed) {
                    fatal = true;
                }
            }
            if (inTransaction) {
                aborted++;
            }
            inTransaction = false;
            pendingOffsets.clear();
            if (fatal) {
                producer.close(Duration.ZERO);
                try {
                    openProducer(); // initTransactions aborts what the old producer left open
                } catch (KafkaException reopen) {
                    reopen.addSuppressed(e);
                    throw new IllegalStateException(
                            "worker '" + settings.workerId() + "' of run '"
                                    + production.runId() + "' could not start a new transactional producer on Kafka "
                                    + bootstrapServers
                                    + " after a failed transaction; committed documents stay, start it "
                                    + "again to go on: " + reopen.getMessage(),
                            reopen);
                }
            } else {
                publishers = new Publishers(producer); // the old ones remember the aborted sends' failures
            }
            rewind();
        }

        private void openProducer() {
            producer = new KafkaProducer<>(
                    producerProperties(bootstrapServers, transactionalId, settings),
                    new ByteArraySerializer(),
                    new ByteArraySerializer());
            producer.initTransactions();
            publishers = new Publishers(producer);
        }

        private void rewind() {
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
            Set<TopicPartition> fromStart =
                    assigned.stream().filter(p -> committed.get(p) == null).collect(Collectors.toSet());
            committed.forEach((p, at) -> {
                if (at != null) {
                    consumer.seek(p, at);
                }
            });
            consumer.seekToBeginning(fromStart);
        }

        /** At most once a second, the idle worker looks at where the group stands. */
        private boolean idleCheckDue() {
            long now = System.nanoTime();
            if (now - lastIdleCheck < IDLE_CHECK_INTERVAL_NANOS) {
                return false;
            }
            lastIdleCheck = now;
            return true;
        }

        /**
         * Commits the positions of assigned partitions that are past their committed offsets with no record between:
         * the transaction markers an enqueue writes after its last documents take offsets of their own, which a
         * consumer skips but no processed record's offset + 1 reaches, so without this the group would never be at
         * the end of the corpus.
         */
        private void commitPastMarkers() {
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
            Map<TopicPartition, OffsetAndMetadata> ahead = new HashMap<>();
            for (TopicPartition p : assigned) {
                long position = consumer.position(p);
                OffsetAndMetadata at = committed.get(p);
                if (at == null ? position > 0 : position > at.offset()) {
                    ahead.put(p, new OffsetAndMetadata(position));
                }
            }
            if (!ahead.isEmpty()) {
                try {
                    producer.beginTransaction();
                    inTransaction = true;
                    producer.sendOffsetsToTransaction(ahead, consumer.groupMetadata());
                    producer.commitTransaction();
                    inTransaction = false;
                } catch (RuntimeException e) {
                    if (!isKafkaFailure(e)) {
                        throw e;
                    }
                    recover(e);
                }
            }
        }

        /**
         * The run's enqueue is recorded complete and the group has committed offsets at the end of every corpus
         * partition (read_committed ends: an enqueue's open transaction is not yet the end).
         */
        private boolean runComplete() {
            return enqueueComplete.getAsBoolean() && corpusConsumed(consumer, topics.corpus());
        }

        private CorpusDocument decode(ConsumerRecord<byte[], byte[]> record) {
            try {
                return record.value() == null ? null : CorpusDocument.fromJson(record.value());
            } catch (IllegalArgumentException e) {
                LOG.warn(
                        "{}/{}@{} is not a corpus document, passed over: {}",
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        e.getMessage());
                return null;
            }
        }

        void close() {
            if (producer != null) {
                if (inTransaction) {
                    try {
                        producer.abortTransaction();
                    } catch (KafkaException e) {
                        LOG.warn("could not abort the open transaction of {}: {}", transactionalId, e.getMessage());
                    }
                }
                producer.close();
            }
        }

        /** The three publishers over the shared transactional producer and the production session feeding them. */
        private final class Publishers {
            final CorpusProducer.Session session;

            Publishers(Producer<byte[], byte[]> producer) {
                ActivationPublisher activations = ActivationPublisher.sharing(producer, topics);
                JsonRecordPublisher<DocumentWindow> windows = JsonRecordPublisher.documentsSharing(producer, topics);
                JsonRecordPublisher<WindowEvaluation> evaluated =
                        JsonRecordPublisher.evaluationsSharing(producer, topics);
                this.session = new CorpusProducer.Session(
                        model,
                        tokenizer,
                        production,
                        evaluations,
                        new CorpusProducer.Sinks(activations::publish, windows, evaluated));
            }
        }
    }
}
