package dev.scopeflow.cli;

import dev.scopeflow.cluster.LocalServices;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scopeflow services start|stop}: the embedded Kafka broker and ClickHouse server on their own. */
@Command(
        name = "services",
        mixinStandardHelpOptions = true,
        description = "Start (in the foreground, until Ctrl-C) or stop the embedded Kafka and ClickHouse.",
        subcommands = {ServicesCommand.Start.class, ServicesCommand.Stop.class})
final class ServicesCommand {

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = "Start both services and wait for Ctrl-C or `scopeflow services stop`.")
    static final class Start implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = ServiceOptions.DEFAULT_WORK_DIR,
                description = "Data and logs (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Option(
                names = "--kafka-port",
                defaultValue = "" + LocalServices.DEFAULT_KAFKA_PORT,
                description = "Kafka's listener on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
        int kafkaPort;

        @Option(
                names = "--kafka-controller-port",
                defaultValue = "" + LocalServices.DEFAULT_KAFKA_CONTROLLER_PORT,
                description = "Kafka's KRaft controller (default: ${DEFAULT-VALUE}).")
        int kafkaControllerPort;

        @Option(
                names = "--clickhouse-port",
                defaultValue = "" + LocalServices.DEFAULT_CLICKHOUSE_HTTP_PORT,
                description = "ClickHouse's HTTP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
        int clickHousePort;

        @Option(
                names = "--clickhouse-tcp-port",
                defaultValue = "" + LocalServices.DEFAULT_CLICKHOUSE_TCP_PORT,
                description = "ClickHouse's native TCP port (default: ${DEFAULT-VALUE}).")
        int clickHouseTcpPort;

        @Override
        public Integer call() throws InterruptedException {
            LocalServices services = LocalServices.start(LocalServices.options()
                    .workDir(workDir)
                    .kafkaPort(kafkaPort)
                    .kafkaControllerPort(kafkaControllerPort)
                    .clickHouseHttpPort(clickHousePort)
                    .clickHouseTcpPort(clickHouseTcpPort)
                    .build());
            Path dir = services.workDir();
            System.out.println("Kafka:      " + services.kafka().bootstrapServers());
            System.out.println("ClickHouse: " + services.clickHouse().httpUrl() + "  (JDBC: "
                    + services.clickHouse().jdbcUrl("scopeflow") + ")");
            System.out.println(
                    "            users " + services.clickHouse().writer().user() + " and "
                            + services.clickHouse().reader().user() + " (read-only); passwords in "
                            + services.clickHouse().workDir().resolve("credentials.properties"));
            System.out.println("Running until Ctrl-C or `scopeflow services stop --work-dir " + dir
                    + "`; other commands use these services with --work-dir " + dir);
            // Ctrl-C and `services stop` (SIGTERM) stop both children in the shutdown hook; a child that
            // ends otherwise ends this command too, so it never claims services that are gone.
            services.awaitStopped();
            services.close();
            System.out.println("Services in " + dir + " stopped.");
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
                defaultValue = ServiceOptions.DEFAULT_WORK_DIR,
                description = "Data and logs (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Override
        public Integer call() {
            int stopped = LocalServices.stopLeftovers(workDir);
            Path dir = workDir.toAbsolutePath().normalize();
            System.out.println(
                    stopped == 0
                            ? "No ScopeFlow services were running from --work-dir " + dir
                            : "Stopped " + stopped + " process(es) started from --work-dir " + dir);
            return 0;
        }
    }
}
