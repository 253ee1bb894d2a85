package dev.scopeflow.cli;

/** A service a command can ask {@link ServiceOptions} for. */
enum Service {
    KAFKA,
    CLICKHOUSE,
    FLINK
}
