package dev.scopeflow.cli;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunJobValidation;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scopeflow run}: a whole run on this machine in one command: finds or starts the services ({@code
 * --work-dir}'s, else embedded ones), brings the run's activations to Kafka, runs the bounded statistics job as
 * {@code run-job} does, prints the per-SAE summary and SQL to paste, and stops what it started. The activations come
 * either from an activation array (published as {@code publish} does) or from a corpus streamed through a Gemma 2
 * checkpoint ({@code --model}: enqueued and produced as {@code produce} does, so an interrupted run resumes when run
 * again). The job is checked against the sites and widths (SAE ids, sites) before anything is published.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Publish an activation array, or stream a corpus through a Gemma 2 checkpoint, and run the "
                + "statistics job on it: one command for a run on this machine (services of --work-dir, started if "
                + "needed and stopped afterwards).")
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK);

    /** Where the activations come from: exactly one of the two. */
    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @ArgGroup(exclusive = false, heading = "%nActivations from an array (as publish):%n")
        ActivationArrayOptions array;

        @ArgGroup(
                exclusive = false,
                heading = "%nActivations from a corpus through a Gemma 2 checkpoint (as produce):%n")
        CorpusThroughModel model;
    }

    static final class CorpusThroughModel {
        @ArgGroup(exclusive = false, multiplicity = "1")
        ProductionOptions production;

        @ArgGroup(exclusive = false, multiplicity = "1")
        CorpusOptions corpus;
    }

    @Mixin
    WireDtypeOption wire;

    @Option(
            names = "--run-id",
            required = true,
            description = "Run id the activations and statistics are stored under.")
    String runId;

    @Option(
            names = "--append",
            description = "Add the array to a run id that already has data; without it a run id with data is refused. "
                    + "Arrays only: a run from --model resumes when run again with the same corpus.")
    boolean append;

    @Mixin
    JobOptions job;

    @Override
    public Integer call() throws Exception {
        // Everything a user can get wrong in the arguments and files is checked before any service starts.
        FeatureStatsJobConfig config = job.config(runId).build();
        PrintStream out = System.out;
        boolean started;
        if (input.model != null && append) {
            throw new IllegalArgumentException("--append adds an activation array to a run; a run from --model "
                    + "resumes when run again with the same corpus (or add a corpus with produce --append)");
        }
        try (Prepared prepared = input.model != null ? fromModel() : fromArray();
                Services resolved = services.resolve(out)) {
            // As if the sites were already recorded: an SAE that does not fit them is refused before anything is
            // published.
            RunJobValidation.check(
                    new ResultsReader(resolved.clickHouse(), resolved.database()), config, prepared.widths());
            prepared.publish(resolved, out);
            if (!RunJobCommand.runJob(
                    resolved,
                    config,
                    prepared.modelId(),
                    prepared.source(),
                    job.parallelism,
                    true,
                    out,
                    spec.commandLine().getErr())) {
                return 1;
            }
            List<SaeEvaluation> evaluations = RunSummary.evaluations(
                    resolved.clickHouse(),
                    resolved.database(),
                    runId,
                    config.saes().stream().map(SaeSpec::saeId).toList());
            out.println();
            RunSummary.printTable(out, evaluations);
            RunSummary.printQueries(
                    out,
                    resolved.clickHouseUrl(),
                    resolved.database(),
                    runId,
                    RunSummary.queryCommand(services.workDir));
            started = resolved.startedAny();
        }
        if (started) {
            RunSummary.printStopped(out, services.workDir);
        }
        return 0;
    }

    /** One input, read and checked, ready to be published once the services are up. */
    private interface Prepared extends AutoCloseable {
        Map<Site, Integer> widths();

        String modelId();

        /** What the run records as its corpus. */
        String source();

        void publish(Services services, PrintStream out);

        @Override
        default void close() {}
    }

    private Prepared fromArray() throws IOException {
        ActivationArrayProducer.Settings settings = input.array.settings(runId, wire.dtype());
        ActivationArrayFiles files = input.array.read();
        return new Prepared() {
            @Override
            public Map<Site, Integer> widths() {
                return Map.of(settings.site(), files.width());
            }

            @Override
            public String modelId() {
                return settings.modelId();
            }

            @Override
            public String source() {
                return files.activationsFile().toString();
            }

            @Override
            public void publish(Services services, PrintStream out) {
                ActivationArrayProducer.Report published = PublishCommand.publish(services, files, settings, append);
                PublishCommand.print(out, runId, published, files, services);
            }
        };
    }

    private Prepared fromModel() throws IOException {
        ProductionOptions production = input.model.production;
        CorpusOptions corpus = input.model.corpus;
        CorpusProducer.Settings settings = production.settings(runId, wire.dtype());
        Gemma2Config model = Gemma2Config.load(production.model);
        Map<Site, Integer> widths = new LinkedHashMap<>();
        settings.sites().forEach(site -> widths.put(site, model.width(site)));
        SaeSplices evaluated = production.loadEvaluations(job.device.computeDevice());
        return new Prepared() {
            @Override
            public Map<Site, Integer> widths() {
                return widths;
            }

            @Override
            public String modelId() {
                return settings.modelId();
            }

            @Override
            public String source() {
                return corpus.corpus.toString();
            }

            @Override
            public void publish(Services services, PrintStream out) {
                ProduceCommand.produce(
                        services, production, corpus, settings, evaluated, job.device.computeDevice(), false, out);
            }

            @Override
            public void close() {
                evaluated.close();
            }
        };
    }
}
