package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.CorpusEnqueue;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunCorpusRows;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow enqueue}: a run's documents onto the corpus topic for workers (see {@link CorpusEnqueue}), and
 * once all are committed, the run's document count in ClickHouse's {@code run_corpus}. Interrupted, the same
 * command resumes; a run {@code run_corpus} records as complete is refused.
 */
@Command(
        name = "enqueue",
        mixinStandardHelpOptions = true,
        description = "Publish a corpus's documents for a run to the corpus topic (resumable), and record how many "
                + "the run holds.")
final class EnqueueCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE);

    @Mixin
    CorpusOptions corpus;

    @Option(names = "--run-id", required = true, description = "Run id carried by every document record.")
    String runId;

    @Option(
            names = "--documents-per-transaction",
            defaultValue = "" + CorpusEnqueue.DEFAULT_DOCUMENTS_PER_TRANSACTION,
            description = "Documents committed together; an interrupted enqueue resumes after the last commit "
                    + "(default: ${DEFAULT-VALUE}).")
    int documentsPerTransaction;

    @Override
    public Integer call() {
        CorpusEnqueue.Report report;
        try (Services resolved = services.resolve(System.err)) {
            report = enqueue(resolved, corpus, new CorpusEnqueue.Settings(runId, documentsPerTransaction, false));
        }
        System.out.printf(
                Locale.ROOT,
                "run %s: %d documents on %s (%d sent now, %d committed before) in %.1f s; corpus: %s%n",
                runId,
                report.documents(),
                report.topic(),
                report.sent(),
                report.alreadyCommitted(),
                report.seconds(),
                report.stats());
        return 0;
    }

    /**
     * Refuses a run {@code run_corpus} records (its corpus is complete: enqueuing again could only add documents
     * twice), enqueues, and records the run's count once every document is committed.
     */
    static CorpusEnqueue.Report enqueue(Services services, CorpusOptions corpus, CorpusEnqueue.Settings settings) {
        String db = services.database();
        String runId = settings.runId();
        new ResultsReader(services.clickHouse(), db).enqueuedCorpus(runId).ifPresent(done -> {
            throw new IllegalStateException("run id '" + runId + "' is already enqueued: " + db + "."
                    + RunCorpusRows.TABLE.name() + " records its " + done.documents() + " documents from "
                    + done.corpus() + " on " + done.topic() + " (" + done.enqueuedAt()
                    + " UTC); nothing was published. Choose a new run id for another corpus");
        });
        return CorpusEnqueue.run(
                corpus.corpus,
                corpus.jsonlField,
                services.kafkaBootstrap(),
                services.topics(),
                KafkaProduction.DEFAULT_PARTITIONS,
                settings,
                (run, topic, stats) -> new RunCorpusRows()
                        .add(
                                run,
                                topic,
                                corpus.corpus.toAbsolutePath().normalize().toString(),
                                stats.documents(),
                                stats.records(),
                                stats.empty(),
                                stats.invalidUtf8(),
                                stats.malformedJson(),
                                stats.truncated(),
                                Instant.now())
                        .insertInto(services.clickHouse(), db));
    }
}
