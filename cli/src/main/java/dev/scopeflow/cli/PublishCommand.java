package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow publish}: an activation array someone already has (e.g. {@code scopeflow capture}'s output, or
 * a cache of their own in that layout) into Kafka with its token windows, so a run needs no model. The run's site
 * and width go to {@code run_sites} first, as produce records them; a run id with data is refused unless
 * {@code --append}.
 */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = "Publish an activation array [n_seq, seq_len, d] (.npy, as capture writes it) to Kafka as a "
                + "run: document = sequence index, position = index in the sequence.")
final class PublishCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE);

    @Mixin
    ActivationArrayOptions input;

    @Mixin
    WireDtypeOption wire;

    @Option(names = "--run-id", required = true, description = "Run id carried by every batch and document record.")
    String runId;

    @Option(
            names = "--append",
            description = "Add to a run id that already has data (e.g. a second array); without it publish refuses, "
                    + "since publishing the same array twice would count its tokens twice.")
    boolean append;

    @Override
    public Integer call() throws IOException {
        // Everything a user can get wrong is checked before any service starts.
        ActivationArrayProducer.Settings settings = input.settings(runId, wire.dtype());
        ActivationArrayFiles files = input.read();
        try (Services resolved = services.resolve(System.err)) {
            print(System.out, runId, publish(resolved, files, settings, append), files, resolved);
        }
        return 0;
    }

    /** Publishes {@code files} as {@code settings}' run on {@code services}: what {@code publish} and {@code run} do. */
    static ActivationArrayProducer.Report publish(
            Services services, ActivationArrayFiles files, ActivationArrayProducer.Settings settings, boolean append) {
        RunSitesRecording.check(services, settings.runId(), append, settings.site(), files.width());
        return KafkaProduction.publishArray(
                files,
                services.kafkaBootstrap(),
                services.topics(),
                KafkaProduction.DEFAULT_PARTITIONS,
                settings,
                new KafkaProduction.Policy(append, false, RunSitesRecording.recorder(services)));
    }

    static void print(
            PrintStream out,
            String runId,
            ActivationArrayProducer.Report report,
            ActivationArrayFiles files,
            Services s) {
        out.printf(
                Locale.ROOT,
                "run %s: published %d positions of %s (%d sequences x %d, width %d) as %d documents in %d activation "
                        + "batches to %s, their token windows to %s (%.1f s)%n",
                runId,
                report.tokens(),
                files.activationsFile(),
                files.sequences(),
                files.seqLen(),
                files.width(),
                report.documents(),
                report.activationBatches(),
                s.topics().activations(),
                s.topics().documents(),
                report.seconds());
    }
}
