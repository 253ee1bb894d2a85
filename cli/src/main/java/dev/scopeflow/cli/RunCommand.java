package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.registry.RunJobValidation;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.stats.TopExamples;
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
            names = "--sae",
            required = true,
            description = "ID=SITE=PATH, e.g. l20=res.20=/saes/layer_20/width_16k/average_l0_71/params.npz "
                    + "(a Gemma Scope params.npz or a SAELens directory; SITE is --site); repeat for several SAEs.")
    List<String> saes;

    @Option(
            names = "--append",
            description = "Add the array to a run id that already has data; without it a run id with data is refused.")
    boolean append;

    @Option(
            names = "--top-k",
            defaultValue = "" + TopExamples.DEFAULT_K,
            description = "Top examples kept per feature (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--backend",
            defaultValue = "JAVA",
            description = "Encode kernel: JAVA or TORCH (DJL libtorch) (default: ${DEFAULT-VALUE}).")
    MatmulBackend backend;

    @Mixin
    StorePolicyOptions store;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Override
    public Integer call() throws Exception {
        // Everything a user can get wrong in the arguments and files is checked before any service starts.
        ActivationArrayProducer.Settings settings = input.settings(runId);
        FeatureStatsJobConfig.Builder builder =
                FeatureStatsJobConfig.builder().setRunId(runId).optTopK(topK).optBackend(backend);
        saes.forEach(sae -> builder.addSae(FeatureStatsJobMain.parseSae(sae)));
        store.applyTo(builder);
        FeatureStatsJobConfig config = builder.build();
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
                    parallelism,
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
