package dev.scopeflow.cli;

/** Where Kafka and ClickHouse are, whether started by us or given on the command line. */
public record ServiceEndpoints(String kafkaBootstrap, String clickHouseUrl) {
}
