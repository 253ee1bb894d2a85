package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.CorpusWorker;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProgressBar;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.WorkerProgressRows;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow worker}: one member of a run's worker group (see {@link CorpusWorker}). It stops once the run is
 * complete: ClickHouse's {@code run_corpus} records its enqueue and the group has produced every document.
 */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description = "Produce a run's enqueued documents as one of its workers: documents from the corpus topic "
                + "through Gemma 2 to activations, exactly once, in Kafka transactions with the consumed offsets.")
final class WorkerCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE);

    @Mixin
    ProductionOptions production;

    @Mixin
    WireDtypeOption wire;

    @Mixin
    DeviceOption device;

    @Option(names = "--run-id", required = true, description = "The run whose enqueued documents to produce.")
    String runId;

    @Option(
            names = "--worker-id",
            description = "This worker's name, unique among the run's live workers and the same when it restarts "
                    + "(a restart then aborts what the killed one left open at once). Default: the host name.")
    String workerId;

    @Option(
            names = "--documents-per-transaction",
            defaultValue = "" + CorpusWorker.Settings.DEFAULT_DOCUMENTS_PER_TRANSACTION,
            description = "Most documents committed together with their offsets; a transaction is committed after "
                    + "10 s anyway, and a killed worker's open one is redone (default: ${DEFAULT-VALUE}).")
    int documentsPerTransaction;

    @Option(
            names = "--transaction-timeout",
            defaultValue = "60",
            description = "Seconds before Kafka aborts a transaction of a worker that died and did not come back "
                    + "(readers of its partitions wait that long); a transaction commits after half of it at the "
                    + "latest, so a document must take less (default: ${DEFAULT-VALUE}, at most the broker's "
                    + "transaction.max.timeout.ms).")
    int transactionTimeoutSeconds;

    @Override
    public Integer call() throws IOException {
        CorpusProducer.Settings settings = production.settings(runId, wire.dtype());
        CorpusWorker.Settings worker = new CorpusWorker.Settings(
                workerId == null ? defaultWorkerId() : workerId,
                documentsPerTransaction,
                Duration.ofSeconds(transactionTimeoutSeconds));
        CorpusWorker.Report report;
        try (SaeSplices evaluated = production.loadEvaluations(device.computeDevice());
                Services resolved = services.resolve(System.err)) {
            ResultsReader results = new ResultsReader(resolved.clickHouse(), resolved.database());
            report = work(
                    resolved,
                    production.model,
                    settings,
                    evaluated,
                    worker,
                    () -> results.enqueuedCorpus(runId).isPresent(),
                    device.computeDevice());
        }
        print(System.out, worker.workerId(), runId, report);
        return 0;
    }

    /**
     * Runs one worker of {@code settings}' run on {@code services} until the run is complete, as every command that
     * works on a run does ({@code worker}, and {@code produce}'s local worker): sites checked and recorded in
     * {@code run_sites}, progress in {@code worker_progress}, the progress bar on stderr.
     */
    static CorpusWorker.Report work(
            Services services,
            Path model,
            CorpusProducer.Settings settings,
            SaeSplices evaluated,
            CorpusWorker.Settings worker,
            BooleanSupplier enqueueComplete,
            ComputeDevice device) {
        return KafkaProduction.work(
                model,
                services.kafkaBootstrap(),
                services.topics(),
                KafkaProduction.DEFAULT_PARTITIONS,
                settings,
                evaluated.evaluations(),
                worker,
                enqueueComplete,
                RunSitesRecording.workerRecorder(services),
                progressRecorder(services),
                device,
                new ProgressBar(System.err, Duration.ofSeconds(1)));
    }

    /** Writes a worker session's progress to ClickHouse's {@code worker_progress}. */
    static CorpusWorker.ProgressRecorder progressRecorder(Services services) {
        return (run, worker, session, report, finished) -> new WorkerProgressRows()
                .add(
                        run,
                        worker,
                        session,
                        report.production().documents(),
                        report.production().windows(),
                        report.production().tokens(),
                        report.transactions(),
                        report.abortedTransactions(),
                        finished,
                        Instant.now())
                .insertInto(services.clickHouse(), services.database());
    }

    /** The worker's summary line. */
    static void print(PrintStream out, String workerId, String runId, CorpusWorker.Report report) {
        CorpusProducer.Report done = report.production();
        out.printf(
                Locale.ROOT,
                "worker %s of run %s: %d documents, %d windows, %d tokens in %.1f s (%.0f tokens/s); %d activation "
                        + "batches, %d windows evaluated; %d transactions committed, %d aborted and redone; %d corpus "
                        + "records of other runs passed over%n",
                workerId,
                runId,
                done.documents(),
                done.windows(),
                done.tokens(),
                done.seconds(),
                done.tokensPerSecond(),
                done.activationBatches(),
                done.evaluatedWindows(),
                report.transactions(),
                report.abortedTransactions(),
                report.skippedRecords());
    }

    /** The host name in the characters a worker id may hold. */
    private static String defaultWorkerId() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
