package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProgressBar;
import dev.scopeflow.schemas.TopicNames;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow produce}: streams a corpus through a Hugging Face Gemma 2 checkpoint into Kafka (see
 * {@link KafkaProduction}); the progress bar goes to stderr, the summary to stdout. Records the run's sites and
 * widths in ClickHouse's {@code run_sites} before its first record, which {@code run-job} checks SAEs against,
 * and refuses a run id that already has data there or in Kafka unless {@code --append}.
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = "Stream a corpus through a Gemma 2 checkpoint to Kafka: Arrow activation batches at the given "
                + "sites and the documents' token windows.")
final class ProduceCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE);

    @Mixin
    ProductionOptions production;

    @Option(
            names = "--corpus",
            required = true,
            description = "Text file (one document per line), *.jsonl/*.json, or a directory (one document per file).")
    Path corpus;

    @Option(
            names = "--jsonl-field",
            defaultValue = "text",
            description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String jsonlField;

    @Option(names = "--run-id", required = true, description = "Run id carried by every batch and document record.")
    String runId;

    @Option(
            names = "--append",
            description = "Add to a run id that already has data (e.g. a second corpus); without it produce refuses, "
                    + "since rerunning a crashed produce would count its tokens twice.")
    boolean append;

    @Option(names = "--allow-empty", description = "Accept a corpus without documents (exit 0, nothing published).")
    boolean allowEmpty;

    @Override
    public Integer call() throws IOException {
        CorpusProducer.Settings settings = production.settings(runId);
        CorpusProducer.Report report;
        TopicNames topics;
        // The summary goes to stdout; where Kafka came from goes with the progress bar to stderr.
        try (SaeSplices evaluated = production.loadEvaluations();
                Services resolved = services.resolve(System.err)) {
            topics = resolved.topics();
            RunSitesRecording.check(resolved, runId, append, null, null);
            report = KafkaProduction.run(
                    production.model,
                    corpus,
                    jsonlField,
                    resolved.kafkaBootstrap(),
                    topics,
                    KafkaProduction.DEFAULT_PARTITIONS,
                    settings,
                    evaluated.evaluations(),
                    new KafkaProduction.Policy(append, allowEmpty, RunSitesRecording.recorder(resolved)),
                    production.device.computeDevice(),
                    new ProgressBar(System.err, Duration.ofSeconds(1)));
        }
        System.out.printf(
                Locale.ROOT,
                "run %s: %d documents, %d windows, %d tokens in %.1f s (%.0f tokens/s); "
                        + "%d activation batches (%s) to %s, document windows to %s%n",
                runId,
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
            System.out.printf(
                    Locale.ROOT,
                    "%d windows evaluated with %d SAE(s) in the loop to %s%n",
                    report.evaluatedWindows(),
                    production.evalSaes.size(),
                    topics.evaluations());
        }
        System.out.println("corpus: " + report.corpus());
        return 0;
    }
}
