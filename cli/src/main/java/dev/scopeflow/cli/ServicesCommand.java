package dev.scopeflow.cli;

import dev.scopeflow.cluster.LocalServices;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scopeflow services start|stop}: the embedded Kafka broker and ClickHouse server on their own. */
@Command(
        name = "services",
        mixinStandardHelpOptions = true,
        description = "Start (in the foreground, until Ctrl-C) or stop the embedded Kafka and ClickHouse.",
        subcommands = {ServicesCommand.Start.class, ServicesCommand.Stop.class})
final class ServicesCommand {

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start both services and wait for Ctrl-C.")
    static final class Start implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = ".scopeflow",
                description = "Data and logs (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Override
        public Integer call() throws InterruptedException {
            LocalServices services =
                    LocalServices.start(LocalServices.options().workDir(workDir).build());
            System.out.println("Kafka:      " + services.kafka().bootstrapServers());
            System.out.println("ClickHouse: " + services.clickHouse().httpUrl() + "  (JDBC: "
                    + services.clickHouse().jdbcUrl("scopeflow") + ")");
            System.out.println(
                    "            users " + services.clickHouse().writer().user() + " and "
                            + services.clickHouse().reader().user() + " (read-only); passwords in "
                            + services.clickHouse().workDir().resolve("credentials.properties"));
            System.out.println("Running until Ctrl-C; data stays in " + workDir.toAbsolutePath());
            // The services' shutdown hook stops both children when this JVM is interrupted.
            new CountDownLatch(1).await();
            return 0;
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Stop services started from --work-dir, also after a crash of the JVM that started them.")
    static final class Stop implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = ".scopeflow",
                description = "Data and logs (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Override
        public Integer call() {
            int stopped = LocalServices.stopLeftovers(workDir);
            System.out.println(
                    stopped == 0
                            ? "No ScopeFlow services were running from " + workDir.toAbsolutePath()
                            : "Stopped " + stopped + " process(es) started from " + workDir.toAbsolutePath());
            return 0;
        }
    }
}
