package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;

/**
 * Where Kafka and ClickHouse are, however they were found: given on a command line, read from a
 * work dir's lock file ({@link LocalServices#running}) or just started, and who to log in to ClickHouse as.
 * A field is null when the caller did not ask for that service (e.g. a query needs no Kafka); a login is
 * null when the server's {@code default} user is meant (a remote server given without {@code --clickhouse-user}).
 * {@link #toString} shows users, never passwords.
 *
 * @param kafkaBootstrap bootstrap servers, {@code host:port[,host:port]}
 * @param clickHouseUrl HTTP URL, e.g. {@code http://127.0.0.1:18123}
 * @param clickHouseWriter the user for migrations and the job's inserts
 * @param clickHouseReader the read-only user for {@code query} and the dashboard (the writer on a remote
 *     server given one user)
 */
public record ServiceEndpoints(
        String kafkaBootstrap,
        String clickHouseUrl,
        ClickHouseLogin clickHouseWriter,
        ClickHouseLogin clickHouseReader) {

    /** Endpoints of a local server: its users from {@code users}. */
    static ServiceEndpoints local(String kafkaBootstrap, String clickHouseUrl, ClickHouseUsers users) {
        return new ServiceEndpoints(kafkaBootstrap, clickHouseUrl, users.writer(), users.reader());
    }
}
