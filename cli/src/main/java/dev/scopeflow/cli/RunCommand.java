package dev.scopeflow.cli;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunJobValidation;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scopeflow run}: a whole run on this machine in one command: finds or starts the services ({@code
 * --work-dir}'s, else embedded ones), publishes an activation array as {@code publish} does, runs the bounded
 * statistics job as {@code run-job} does, prints the per-SAE summary and SQL to paste, and stops what it started.
 * The job is checked against the array (site, width, SAE ids) before anything is published.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Publish an activation array and run the statistics job on it: one command for a run on this "
                + "machine (services of --work-dir, started if needed and stopped afterwards).")
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK);

    @Mixin
    ActivationArrayOptions input;

    @Option(
            names = "--run-id",
            required = true,
            description = "Run id the activations and statistics are stored under.")
    String runId;

    @Option(
            names = "--append",
            description = "Add the array to a run id that already has data; without it a run id with data is refused.")
    boolean append;

    @Mixin
    JobOptions job;

    @Override
    public Integer call() throws Exception {
        // Everything a user can get wrong in the arguments and files is checked before any service starts.
        ActivationArrayProducer.Settings settings = input.settings(runId);
        FeatureStatsJobConfig config = job.config(runId).build();
        ActivationArrayFiles files = input.read();
        PrintStream out = System.out;
        boolean started;
        try (Services resolved = services.resolve(out)) {
            // As if the array were already recorded: an SAE that does not fit it is refused before it is published.
            RunJobValidation.check(
                    new ResultsReader(resolved.clickHouse(), resolved.database()),
                    config,
                    Map.of(settings.site(), files.width()));
            ActivationArrayProducer.Report published = PublishCommand.publish(resolved, files, settings, append);
            PublishCommand.print(out, runId, published, files, resolved);
            if (!RunJobCommand.runJob(
                    resolved,
                    config,
                    settings.modelId(),
                    files.activationsFile().toString(),
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
}
