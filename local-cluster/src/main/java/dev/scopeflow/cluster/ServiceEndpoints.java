package dev.scopeflow.cluster;

/**
 * Where Kafka and ClickHouse are, however they were found: given on a command line, read from a
 * work dir's lock file ({@link LocalServices#running}) or just started. A field is null when the
 * caller did not ask for that service (e.g. a query needs no Kafka).
 *
 * @param kafkaBootstrap bootstrap servers, {@code host:port[,host:port]}
 * @param clickHouseUrl HTTP URL, e.g. {@code http://127.0.0.1:18123}
 */
public record ServiceEndpoints(String kafkaBootstrap, String clickHouseUrl) {}
