package dev.scopeflow.cli;

import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where a command's services are: the options every command shares, declared once. A command states
 * what it uses when it declares the mixin, and {@link #resolve} finds or starts exactly that:
 *
 * <pre>{@code
 * @Mixin ServiceOptions services = ServiceOptions.reading(Service.CLICKHOUSE);
 * ...
 * try (Services s = services.resolve(System.err)) { ... s.clickHouseUrl() ... }
 * }</pre>
 *
 * Options of services the command does not use are removed from it, so {@code produce --help} shows no
 * {@code --clickhouse} and passing one is an unknown option, not a silently ignored one.
 */
final class ServiceOptions {

    /** The options that only make sense for a command using that service. */
    private static final Map<Service, List<String>> OPTIONS_OF = Map.of(
            Service.KAFKA, List.of("--kafka", "--topic-prefix"),
            Service.CLICKHOUSE,
                    List.of("--clickhouse", "--clickhouse-user", "--clickhouse-password-file", "--database"),
            Service.FLINK, List.of("--flink", "--job-jar"));

    static final String DEFAULT_WORK_DIR = ".scopeflow";

    private final Set<Service> needs;
    private final boolean writes;

    @Option(
            names = "--kafka",
            description = "Bootstrap servers of a Kafka cluster, host:port[,host:port] "
                    + "(default: the services running from --work-dir, else an embedded broker started there).")
    String kafka;

    @Option(
            names = "--clickhouse",
            description = "HTTP URL of a ClickHouse server, e.g. http://host:8123 "
                    + "(default: the services running from --work-dir, else an embedded server started there).")
    String clickHouse;

    @Option(
            names = "--clickhouse-user",
            description = "User to log in to --clickhouse as; its password comes from the environment variable "
                    + ClickHouseLogin.PASSWORD_ENV + " or --clickhouse-password-file, never from the command line "
                    + "(default: the server's default user; the embedded server's users come from --work-dir).")
    String clickHouseUser;

    @Option(
            names = "--clickhouse-password-file",
            description = "File whose first line is the password of --clickhouse-user (keep it owner-only).")
    Path clickHousePasswordFile;

    @Option(
            names = "--flink",
            description = "REST address host:port of a Flink cluster to submit the job to "
                    + "(default: an embedded MiniCluster).")
    String flink;

    @Option(
            names = "--job-jar",
            description =
                    "The Flink job jar submitted with --flink " + "(default: the one built under cli/target/job).")
    Path jobJar;

    @Option(
            names = "--work-dir",
            defaultValue = DEFAULT_WORK_DIR,
            description = "Data and logs of the embedded services (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(
            names = "--database",
            defaultValue = "scopeflow",
            description = "ClickHouse database (default: ${DEFAULT-VALUE}).")
    String database;

    @Option(
            names = "--topic-prefix",
            defaultValue = TopicNames.DEFAULT_PREFIX,
            description = "Kafka topic name prefix (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    private ServiceOptions(Set<Service> needs, boolean writes) {
        this.needs = Set.copyOf(needs);
        this.writes = writes;
    }

    /** For a command that only reads what is there: nothing is created, whatever the database. */
    static ServiceOptions reading(Service first, Service... rest) {
        return new ServiceOptions(EnumSet.of(first, rest), false);
    }

    /**
     * For a command that writes results: its ClickHouse database is migrated to the current schema before
     * the command gets the endpoints.
     */
    static ServiceOptions writing(Service first, Service... rest) {
        return new ServiceOptions(EnumSet.of(first, rest), true);
    }

    /** The login for {@code --clickhouse}, from {@code --clickhouse-user} and its password source. */
    ClickHouseLogin clickHouseLogin(Map<String, String> env) {
        if (clickHouse == null && clickHouseUser != null) {
            throw new IllegalArgumentException("--clickhouse-user needs --clickhouse: the embedded server's users and "
                    + "passwords come from --work-dir");
        }
        return ClickHouseLogin.fromOptions(clickHouseUser, clickHousePasswordFile, env);
    }

    Set<Service> needs() {
        return needs;
    }

    /** Whether the ClickHouse schema is migrated when resolving. */
    boolean writes() {
        return writes;
    }

    /** Finds or starts the services this command uses; closing the result stops only what it started. */
    Services resolve(PrintStream log) {
        return ServiceResolver.resolve(this, ServiceResolver.LOCAL, log);
    }

    /** Picocli calls this once the mixin's options are part of the command. */
    @Spec(Spec.Target.MIXEE)
    void removeUnusedOptions(CommandSpec command) {
        OPTIONS_OF.forEach((service, names) -> {
            if (!needs.contains(service)) {
                for (String name : names) {
                    OptionSpec option = command.findOption(name);
                    if (option != null) {
                        command.remove(option);
                    }
                }
            }
        });
    }
}
