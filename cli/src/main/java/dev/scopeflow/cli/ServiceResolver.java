package dev.scopeflow.cli;

import dev.scopeflow.cluster.EmbeddedClickHouse;
import dev.scopeflow.cluster.EmbeddedKafka;
import dev.scopeflow.cluster.LocalServices;
import dev.scopeflow.cluster.ServiceEndpoints;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The one way a command finds its services. For each of Kafka and ClickHouse the command uses, on its own:
 * the address given ({@code --kafka}, {@code --clickhouse}), else the services running from {@code --work-dir}
 * ({@code scopeflow services start}; its lock file says where), else an embedded server started in the work
 * dir for this command only. So {@code --kafka} alone with a fresh work dir uses that Kafka and an embedded
 * ClickHouse. Flink is {@code --flink}'s cluster or an embedded MiniCluster per job.
 *
 * <p>A command that writes gets its ClickHouse database migrated here, once per command run, so for the
 * rest of the CLI "ClickHouse endpoints ready" means "schema current". ({@code flink run} of the job jar
 * migrates in {@code FeatureStatsJobMain} instead: there is no resolver there.)
 *
 * <p>The endpoints are {@code local-cluster}'s {@link ServiceEndpoints}, the same type its lock file is read
 * into; the job's own parameter type {@code FeatureStatsJob.Endpoints} is built from them only in
 * {@link Services#jobEndpoints}.
 */
final class ServiceResolver {

    /** What resolving does to this machine; tests pass a fake that starts nothing. */
    interface Machine {
        /** Endpoints of the services a live {@code scopeflow services start} runs from {@code workDir}. */
        Optional<ServiceEndpoints> running(Path workDir);

        /** Starts the embedded services asked for (at least one) in {@code workDir}. */
        Started start(Path workDir, boolean kafka, boolean clickHouse);

        /** Applies the ClickHouse migrations as {@code writer}; returns the versions applied now. */
        List<Integer> migrate(String clickHouseUrl, ClickHouseLogin writer, String database);
    }

    /** Services started for one command: where they listen, and how to stop them. */
    record Started(ServiceEndpoints endpoints, AutoCloseable stopper) {}

    /** The real machine: {@link LocalServices} and the embedded servers of {@code local-cluster}. */
    static final Machine LOCAL = new Machine() {
        @Override
        public Optional<ServiceEndpoints> running(Path workDir) {
            return LocalServices.running(workDir);
        }

        @Override
        public Started start(Path workDir, boolean kafka, boolean clickHouse) {
            if (kafka && clickHouse) {
                // Both: under the work dir's lock, so `services stop` and other commands see them.
                LocalServices services = LocalServices.start(
                        LocalServices.options().workDir(workDir).build());
                return new Started(services.endpoints(), services);
            }
            if (kafka) {
                // The ports `services start` uses, so the broker's stored metadata matches its address.
                EmbeddedKafka broker = EmbeddedKafka.builder()
                        .workDir(workDir.resolve("kafka"))
                        .port(LocalServices.DEFAULT_KAFKA_PORT)
                        .controllerPort(LocalServices.DEFAULT_KAFKA_CONTROLLER_PORT)
                        .start();
                return new Started(new ServiceEndpoints(broker.bootstrapServers(), null, null, null), broker);
            }
            EmbeddedClickHouse server = EmbeddedClickHouse.start(workDir.resolve("clickhouse"));
            return new Started(new ServiceEndpoints(null, server.httpUrl(), server.writer(), server.reader()), server);
        }

        @Override
        public List<Integer> migrate(String clickHouseUrl, ClickHouseLogin writer, String database) {
            return ClickHouseMigrations.apply(ClickHouseHttp.of(clickHouseUrl, writer), database);
        }
    };

    private ServiceResolver() {}

    static Services resolve(ServiceOptions options, Machine machine, PrintStream log) {
        boolean needsKafka = options.needs().contains(Service.KAFKA);
        boolean needsClickHouse = options.needs().contains(Service.CLICKHOUSE);
        // Options are checked before anything starts, so a typo costs no start-up.
        FlinkTarget flink =
                options.needs().contains(Service.FLINK) ? FlinkTarget.parse(options.flink, options.jobJar) : null;
        ClickHouseLogin givenLogin = null;
        if (needsClickHouse) {
            ClickHouseMigrations.validateDatabase(options.database);
            givenLogin = options.clickHouseLogin(System.getenv());
        }
        TopicNames topics = needsKafka ? TopicNames.withPrefix(options.topicPrefix) : null;
        Path workDir = options.workDir.toAbsolutePath().normalize();

        String kafka = needsKafka ? options.kafka : null;
        String clickHouse = needsClickHouse ? options.clickHouse : null;
        // A server given by URL has one login for everything; the embedded one a writer and a read-only reader.
        ClickHouseLogin writer = givenLogin;
        ClickHouseLogin reader = givenLogin;
        boolean missing = (needsKafka && kafka == null) || (needsClickHouse && clickHouse == null);
        Optional<ServiceEndpoints> running = missing ? machine.running(workDir) : Optional.empty();
        if (running.isPresent()) {
            log.println("Using the services running from " + workDir);
            kafka = needsKafka && kafka == null ? running.get().kafkaBootstrap() : kafka;
            if (needsClickHouse && clickHouse == null) {
                clickHouse = running.get().clickHouseUrl();
                writer = running.get().clickHouseWriter();
                reader = running.get().clickHouseReader();
            }
        }
        boolean startKafka = needsKafka && kafka == null;
        boolean startClickHouse = needsClickHouse && clickHouse == null;
        AutoCloseable stopper = () -> {};
        if (startKafka || startClickHouse) {
            log.println("Starting embedded "
                    + (startKafka && startClickHouse
                            ? "Kafka (KRaft) and ClickHouse"
                            : startKafka ? "Kafka (KRaft)" : "ClickHouse")
                    + " in " + workDir + " ...");
            Started started = machine.start(workDir, startKafka, startClickHouse);
            stopper = started.stopper();
            kafka = startKafka ? started.endpoints().kafkaBootstrap() : kafka;
            if (startClickHouse) {
                clickHouse = started.endpoints().clickHouseUrl();
                writer = started.endpoints().clickHouseWriter();
                reader = started.endpoints().clickHouseReader();
            }
        }
        Services services = new Services(
                new ServiceEndpoints(kafka, clickHouse, writer, reader),
                flink,
                options.database,
                topics,
                startKafka || startClickHouse,
                workDir,
                stopper);
        if (options.writes() && needsClickHouse) {
            try {
                List<Integer> applied = machine.migrate(clickHouse, writer, options.database);
                log.printf(
                        "ClickHouse %s: schema %s (migrations applied now: %s)%n",
                        clickHouse, options.database, applied);
            } catch (RuntimeException e) {
                services.close();
                throw e;
            }
        }
        return services;
    }
}
