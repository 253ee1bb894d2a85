package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.UUID;

/**
 * Contents of {@code services.lock}: which JVM owns the local services (pid plus start time, since
 * pids get reused) and the pids and ports of its children. Fields are filled in as services start,
 * so a crash half-way through still leaves enough to clean up. The owner token tells two owners
 * apart that share a JVM, so only the instance that wrote the lock ever deletes it.
 */
record ServicesLockFile(
        long ownerPid,
        long ownerStartMillis,
        String ownerToken,
        OptionalLong kafkaPid,
        int kafkaPort,
        int kafkaControllerPort,
        OptionalLong clickHousePid,
        int clickHouseHttpPort,
        int clickHouseTcpPort) {

    static ServicesLockFile forCurrentJvm(
            int kafkaPort, int kafkaControllerPort, int clickHouseHttpPort, int clickHouseTcpPort) {
        ProcessHandle self = ProcessHandle.current();
        return new ServicesLockFile(
                self.pid(),
                JvmIdentity.startMillis(self),
                UUID.randomUUID().toString(),
                OptionalLong.empty(),
                kafkaPort,
                kafkaControllerPort,
                OptionalLong.empty(),
                clickHouseHttpPort,
                clickHouseTcpPort);
    }

    ServicesLockFile withKafkaPid(long pid) {
        return new ServicesLockFile(
                ownerPid,
                ownerStartMillis,
                ownerToken,
                OptionalLong.of(pid),
                kafkaPort,
                kafkaControllerPort,
                clickHousePid,
                clickHouseHttpPort,
                clickHouseTcpPort);
    }

    ServicesLockFile withClickHousePid(long pid) {
        return new ServicesLockFile(
                ownerPid,
                ownerStartMillis,
                ownerToken,
                kafkaPid,
                kafkaPort,
                kafkaControllerPort,
                OptionalLong.of(pid),
                clickHouseHttpPort,
                clickHouseTcpPort);
    }

    /** Whether the JVM that wrote this file is still running (same pid and same start time). */
    boolean ownerAlive() {
        return owner().isAlive();
    }

    JvmIdentity owner() {
        return new JvmIdentity(ownerPid, ownerStartMillis);
    }

    /** Whether both were written by the same owner (same JVM and same {@code LocalServices}). */
    boolean sameOwner(ServicesLockFile other) {
        return ownerPid == other.ownerPid
                && ownerStartMillis == other.ownerStartMillis
                && ownerToken.equals(other.ownerToken);
    }

    String format() {
        Properties p = new Properties();
        p.setProperty("owner.pid", Long.toString(ownerPid));
        p.setProperty("owner.start.millis", Long.toString(ownerStartMillis));
        p.setProperty("owner.token", ownerToken);
        kafkaPid.ifPresent(pid -> p.setProperty("kafka.pid", Long.toString(pid)));
        p.setProperty("kafka.port", Integer.toString(kafkaPort));
        p.setProperty("kafka.controller.port", Integer.toString(kafkaControllerPort));
        clickHousePid.ifPresent(pid -> p.setProperty("clickhouse.pid", Long.toString(pid)));
        p.setProperty("clickhouse.http.port", Integer.toString(clickHouseHttpPort));
        p.setProperty("clickhouse.tcp.port", Integer.toString(clickHouseTcpPort));
        StringWriter out = new StringWriter();
        try {
            p.store(out, "ScopeFlow local services; delete only if no process below is alive");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Parses {@link #format()} output; throws IllegalArgumentException naming what is wrong. */
    static ServicesLockFile parse(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Unreadable services.lock: " + e.getMessage(), e);
        }
        return new ServicesLockFile(
                requiredLong(p, "owner.pid"),
                optionalLong(p, "owner.start.millis").orElse(0),
                p.getProperty("owner.token", "").trim(),
                optionalLong(p, "kafka.pid"),
                (int) requiredLong(p, "kafka.port"),
                (int) optionalLong(p, "kafka.controller.port").orElse(0),
                optionalLong(p, "clickhouse.pid"),
                (int) requiredLong(p, "clickhouse.http.port"),
                (int) optionalLong(p, "clickhouse.tcp.port").orElse(0));
    }

    private static long requiredLong(Properties p, String key) {
        return optionalLong(p, key).orElseThrow(() -> new IllegalArgumentException("services.lock lacks " + key));
    }

    private static OptionalLong optionalLong(Properties p, String key) {
        String value = p.getProperty(key);
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("services.lock: " + key + " is not a number: '" + value + "'", e);
        }
    }

    static String describePid(OptionalLong pid) {
        return pid.isPresent() ? Long.toString(pid.getAsLong()) : "not started";
    }
}
