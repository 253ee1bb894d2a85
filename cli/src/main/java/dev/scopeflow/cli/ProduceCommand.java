package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.CorpusEnqueue;
import dev.scopeflow.producers.kafka.CorpusWorker;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProgressBar;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.results.ResultsReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow produce}: streams a corpus through a Hugging Face Gemma 2 checkpoint into Kafka as
 * {@code enqueue} followed by one local {@code worker} ({@link CorpusWorker}), so it is crash-safe: run again after a
 * crash, it resumes the enqueue or the production where they stopped and no document is counted twice. The progress
 * bar goes to stderr, the summary to stdout. A run id with data from elsewhere ({@code run_sites} records it, but
 * no enqueue of this corpus) is refused. {@code --append} adds a corpus to such a run the old way, straight from the
 * file ({@link KafkaProduction#run}; not resumable).
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = "Stream a corpus through a Gemma 2 checkpoint to Kafka: Arrow activation batches at the given "
                + "sites and the documents' token windows.")
final class ProduceCommand implements Callable<Integer> {

    /** The worker id of produce's own worker: a rerun after a crash aborts what the crashed one left open. */
    static final String LOCAL_WORKER = "produce";

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE);

    @Mixin
    ProductionOptions production;

    @Mixin
    CorpusOptions corpus;

    @Mixin
    WireDtypeOption wire;

    @Mixin
    DeviceOption device;

    @Option(names = "--run-id", required = true, description = "Run id carried by every batch and document record.")
    String runId;

    @Option(
            names = "--append",
            description = "Add this corpus to a run id that already has data (e.g. a second corpus), straight from the "
                    + "file: not resumable, rerunning a crashed append would count its tokens twice.")
    boolean append;

    @Option(names = "--allow-empty", description = "Accept a corpus without documents (exit 0, nothing published).")
    boolean allowEmpty;

    @Override
    public Integer call() throws IOException {
        CorpusProducer.Settings settings = production.settings(runId, wire.dtype());
        // The summary goes to stdout; where Kafka came from goes with the progress bar to stderr.
        try (SaeSplices evaluated = production.loadEvaluations(device.computeDevice());
                Services resolved = services.resolve(System.err)) {
            if (append) {
                return appendDirectly(resolved, settings, evaluated);
            }
            produce(resolved, production, corpus, settings, evaluated, device.computeDevice(), allowEmpty, System.out);
        }
        return 0;
    }

    /**
     * What {@code produce} (and {@code run --model}) do: enqueue the corpus, or resume a run enqueued from the same
     * corpus, then produce every document not yet produced with one local worker; the summary goes to {@code out}.
     */
    static void produce(
            Services resolved,
            ProductionOptions production,
            CorpusOptions corpus,
            CorpusProducer.Settings settings,
            SaeSplices evaluated,
            ComputeDevice device,
            boolean allowEmpty,
            PrintStream out) {
        String runId = settings.runId();
        Optional<String> corpusSummary = enqueueOrResume(resolved, runId, production.model, corpus, allowEmpty);
        if (corpusSummary.isEmpty()) {
            out.println("run " + runId + ": " + corpus.corpus + " holds no documents; nothing was published");
            return;
        }
        CorpusWorker.Report report = WorkerCommand.work(
                resolved,
                production.model,
                settings,
                evaluated,
                CorpusWorker.Settings.of(LOCAL_WORKER),
                () -> true, // enqueued above
                device);
        print(out, settings, resolved.topics(), report.production(), production.evalSaes.size());
        if (report.abortedTransactions() > 0) {
            out.println(report.abortedTransactions() + " transaction(s) aborted on Kafka errors and redone");
        }
        out.println("corpus: " + corpusSummary.get());
    }

    /**
     * Enqueues the corpus unless this run's enqueue is complete already (a produce that was interrupted, run again:
     * then the corpus must be the same file). Returns what the enqueue recorded, or empty for a corpus without
     * documents under {@code allowEmpty}.
     */
    private static Optional<String> enqueueOrResume(
            Services resolved, String runId, Path model, CorpusOptions corpus, boolean allowEmpty) {
        ResultsReader reader = new ResultsReader(resolved.clickHouse(), resolved.database());
        Optional<ResultsReader.EnqueuedCorpus> enqueued = reader.enqueuedCorpus(runId);
        if (enqueued.isPresent()) {
            String path = corpus.corpus.toAbsolutePath().normalize().toString();
            ResultsReader.EnqueuedCorpus done = enqueued.get();
            if (!done.corpus().equals(path)) {
                throw new IllegalStateException("run id '" + runId + "' was enqueued from " + done.corpus() + ", not "
                        + path + ": run produce again with that corpus to finish the run, or choose a new run id");
            }
            System.err.println("run " + runId + ": its " + done.documents() + " documents are enqueued already; "
                    + "producing those not yet produced");
            return Optional.of("records=" + done.records() + " documents=" + done.documents() + " empty="
                    + done.empty() + " invalid_utf8=" + done.invalidUtf8() + " malformed_json=" + done.malformedJson()
                    + " truncated=" + done.truncated());
        }
        RunSitesRecording.check(resolved, runId, false, null, null);
        Gemma2Config.load(model); // a checkpoint that cannot load fails before anything is enqueued
        CorpusEnqueue.Report report = EnqueueCommand.enqueue(
                resolved,
                corpus,
                new CorpusEnqueue.Settings(runId, CorpusEnqueue.DEFAULT_DOCUMENTS_PER_TRANSACTION, allowEmpty));
        return report.documents() == 0
                ? Optional.empty()
                : Optional.of(report.stats().toString());
    }

    /** {@code --append}: the corpus straight through the model into a run that has data, without the corpus topic. */
    private int appendDirectly(Services resolved, CorpusProducer.Settings settings, SaeSplices evaluated) {
        RunSitesRecording.check(resolved, runId, true, null, null);
        CorpusProducer.Report report = KafkaProduction.run(
                production.model,
                corpus.corpus,
                corpus.jsonlField,
                resolved.kafkaBootstrap(),
                resolved.topics(),
                KafkaProduction.DEFAULT_PARTITIONS,
                settings,
                evaluated.evaluations(),
                new KafkaProduction.Policy(true, allowEmpty, RunSitesRecording.recorder(resolved)),
                device.computeDevice(),
                new ProgressBar(System.err, Duration.ofSeconds(1)));
        print(System.out, settings, resolved.topics(), report, production.evalSaes.size());
        System.out.println("corpus: " + report.corpus());
        return 0;
    }

    private static void print(
            PrintStream out,
            CorpusProducer.Settings settings,
            TopicNames topics,
            CorpusProducer.Report report,
            int evaluatedSaes) {
        out.printf(
                Locale.ROOT,
                "run %s: %d documents, %d windows, %d tokens in %.1f s (%.0f tokens/s); "
                        + "%d activation batches (%s) to %s, document windows to %s%n",
                settings.runId(),
                report.documents(),
                report.windows(),
                report.tokens(),
                report.seconds(),
                report.tokensPerSecond(),
                report.activationBatches(),
                settings.dtype().code(),
                topics.activations(),
                topics.documents());
        if (report.evaluatedWindows() > 0) {
            out.printf(
                    Locale.ROOT,
                    "%d windows evaluated with %d SAE(s) in the loop to %s%n",
                    report.evaluatedWindows(),
                    evaluatedSaes,
                    topics.evaluations());
        }
    }
}
