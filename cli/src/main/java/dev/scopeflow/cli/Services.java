package dev.scopeflow.cli;

import dev.scopeflow.cluster.ServiceEndpoints;
import dev.scopeflow.flink.FeatureStatsJob;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.nio.file.Path;

/**
 * A command's services, found or started by {@link ServiceResolver}. Closing it stops only what was started
 * for this command; services given on the command line or running from the work dir stay up.
 */
final class Services implements AutoCloseable {

    private final ServiceEndpoints endpoints;
    private final FlinkTarget flink;
    private final String database;
    private final TopicNames topics;
    private final boolean startedAny;
    private final Path workDir;
    private final AutoCloseable stopper;

    Services(
            ServiceEndpoints endpoints,
            FlinkTarget flink,
            String database,
            TopicNames topics,
            boolean startedAny,
            Path workDir,
            AutoCloseable stopper) {
        this.endpoints = endpoints;
        this.flink = flink;
        this.database = database;
        this.topics = topics;
        this.startedAny = startedAny;
        this.workDir = workDir;
        this.stopper = stopper;
    }

    String kafkaBootstrap() {
        return require(endpoints.kafkaBootstrap(), Service.KAFKA);
    }

    String clickHouseUrl() {
        return require(endpoints.clickHouseUrl(), Service.CLICKHOUSE);
    }

    /** The login that may write (migrations, the job, the demo); null: the server's default user. */
    ClickHouseLogin clickHouseWriter() {
        clickHouseUrl();
        return endpoints.clickHouseWriter();
    }

    /** The read-only login ({@code query}, the dashboard); the writer's on a server given with one user. */
    ClickHouseLogin clickHouseReader() {
        clickHouseUrl();
        return endpoints.clickHouseReader();
    }

    /** Whether the reader is a separate (read-only) user rather than the one login of a given server. */
    boolean hasReadOnlyUser() {
        return !java.util.Objects.equals(clickHouseWriter(), clickHouseReader());
    }

    /** A client logged in as the writer. */
    ClickHouseHttp clickHouse() {
        return ClickHouseHttp.of(clickHouseUrl(), clickHouseWriter());
    }

    FlinkTarget flink() {
        return require(flink, Service.FLINK);
    }

    TopicNames topics() {
        return require(topics, Service.KAFKA);
    }

    String database() {
        require(endpoints.clickHouseUrl(), Service.CLICKHOUSE);
        return database;
    }

    /** Whether embedded services were started for this command (and stop when it is closed). */
    boolean startedAny() {
        return startedAny;
    }

    /** The (absolute) work dir of the embedded services. */
    Path workDir() {
        return workDir;
    }

    /** The job's own endpoint type, built here only. */
    FeatureStatsJob.Endpoints jobEndpoints(boolean bounded) {
        return new FeatureStatsJob.Endpoints(
                kafkaBootstrap(), topics(), clickHouseUrl(), clickHouseWriter(), database(), bounded);
    }

    @Override
    public void close() {
        try {
            stopper.close();
        } catch (Exception e) {
            throw new IllegalStateException("Could not stop the embedded services in " + workDir + ": " + e, e);
        }
    }

    /** A command using a service it did not ask for is a programming error, named here. */
    private static <T> T require(T value, Service service) {
        if (value == null) {
            throw new IllegalStateException("this command did not ask ServiceOptions for " + service);
        }
        return value;
    }
}
