package dev.scopeflow.cli;

import dev.scopeflow.dashboard.Dashboard;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow dashboard}: serves the SAE evaluation dashboard until Ctrl-C. ClickHouse comes from
 * {@link ServiceOptions} like {@code scopeflow query}'s: {@code --clickhouse}, the services running from
 * {@code --work-dir}, or the embedded server started on that data for as long as the dashboard runs.
 */
@Command(
        name = "dashboard",
        mixinStandardHelpOptions = true,
        description = "Serve the SAE evaluation dashboard (runs, SAEs, features) over the results in ClickHouse.")
final class DashboardCommand implements Callable<Integer> {

    @Mixin
    ServiceOptions services = ServiceOptions.reading(Service.CLICKHOUSE);

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "Port on 127.0.0.1 to serve on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--model",
            description =
                    "Checkpoint or tokenizer directory with tokenizer.json, to show token text (default: token ids).")
    Path model;

    @Override
    public Integer call() throws InterruptedException {
        try (GemmaTokenizer tokenizer = model == null ? null : GemmaTokenizer.load(model, GemmaTokens.BOS)) {
            IntFunction<String> decoder = tokenizer == null ? null : cachedDecoder(tokenizer);
            // Ctrl-C: the embedded server's shutdown hook stops it if it was started for the dashboard.
            try (Services resolved = services.resolve(System.out)) {
                serve(resolved.clickHouseUrl(), resolved.clickHouseReader(), resolved.database(), decoder);
            }
        }
        return 0;
    }

    private void serve(String clickHouseUrl, ClickHouseLogin reader, String database, IntFunction<String> decoder)
            throws InterruptedException {
        // The read-only user: a page, whatever its parameters, can never change the results.
        try (Dashboard dashboard = Dashboard.start(clickHouseUrl, reader, database, port, decoder)) {
            System.out.println("Dashboard: " + dashboard.url() + "  (ClickHouse " + clickHouseUrl + ", database "
                    + database + "; Ctrl-C to stop)");
            new CountDownLatch(1).await(); // the handler threads are daemons: Ctrl-C ends the JVM
        }
    }

    /** Pages decode the same few hundred ids over and over, from several request threads. */
    private static IntFunction<String> cachedDecoder(GemmaTokenizer tokenizer) {
        Map<Integer, String> cache = new ConcurrentHashMap<>();
        return id -> cache.computeIfAbsent(id, tokenizer::decode);
    }
}
