package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Kafka and ClickHouse for {@code scopeflow demo}: both started as child processes under one
 * directory on fixed ports, guarded by {@code services.lock} so a second start fails fast with a
 * clear message, leftovers of a crashed run are cleaned up, and nothing outlives the JVM (shutdown
 * hook). Only the instance that wrote the lock deletes it. Callers that use external services pass their addresses instead and never touch this
 * class.
 *
 * <pre>
 * workDir/                       (default .scopeflow/)
 *   services.lock                owner JVM, child pids and ports
 *   kafka/                       server.properties, data/, kafka.log
 *   clickhouse/                  config.xml, users.xml, credentials.properties (owner-only), data/, log/
 * </pre>
 */
public final class LocalServices implements AutoCloseable {

    public static final Path DEFAULT_WORK_DIR = Path.of(".scopeflow");
    public static final int DEFAULT_KAFKA_PORT = 19092;
    public static final int DEFAULT_KAFKA_CONTROLLER_PORT = 19093;
    public static final int DEFAULT_CLICKHOUSE_HTTP_PORT = 18123;
    public static final int DEFAULT_CLICKHOUSE_TCP_PORT = 19000;

    static final String LOCK_FILE = "services.lock";

    private final Path workDir;
    private final ServicesLockFile lock;
    private final EmbeddedKafka kafka;
    private final EmbeddedClickHouse clickHouse;
    private final Thread shutdownHook;

    private LocalServices(Path workDir, ServicesLockFile lock, EmbeddedKafka kafka, EmbeddedClickHouse clickHouse) {
        this.workDir = workDir;
        this.lock = lock;
        this.kafka = kafka;
        this.clickHouse = clickHouse;
        this.shutdownHook = new Thread(this::stopServices, "scopeflow-local-services-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts both services with default ports in {@code .scopeflow/} of the current directory. */
    public static LocalServices start() {
        return start(options().build());
    }

    public static Options.Builder options() {
        return new Options.Builder();
    }

    /**
     * Starts Kafka, then ClickHouse. Fails with {@link IllegalStateException} if services already
     * run from this directory or a port is taken; whatever was started is stopped again on any
     * failure.
     */
    public static LocalServices start(Options options) {
        Path workDir = options.workDir();
        createDirectories(workDir);
        Path lockPath = workDir.resolve(LOCK_FILE);
        ServicesLockFile lock = ServicesLockFile.forCurrentJvm(
                options.kafkaPort(),
                options.kafkaControllerPort(),
                options.clickHouseHttpPort(),
                options.clickHouseTcpPort());
        claimLock(workDir, lock);

        EmbeddedKafka kafka = null;
        EmbeddedClickHouse clickHouse = null;
        try {
            requirePortsFree(options, workDir);
            kafka = EmbeddedKafka.builder()
                    .workDir(workDir.resolve("kafka"))
                    .port(options.kafkaPort())
                    .controllerPort(options.kafkaControllerPort())
                    .maxHeap(options.kafkaMaxHeap())
                    .start();
            lock = lock.withKafkaPid(kafka.pid());
            writeLock(lockPath, lock);
            clickHouse = EmbeddedClickHouse.builder()
                    .workDir(workDir.resolve("clickhouse"))
                    .httpPort(options.clickHouseHttpPort())
                    .tcpPort(options.clickHouseTcpPort())
                    .start();
            lock = lock.withClickHousePid(clickHouse.pid());
            writeLock(lockPath, lock);
            return new LocalServices(workDir, lock, kafka, clickHouse);
        } catch (RuntimeException | Error e) {
            if (clickHouse != null) {
                clickHouse.stop();
            }
            if (kafka != null) {
                kafka.stop();
            }
            deleteIfOwnedBy(lockPath, lock);
            throw e;
        }
    }

    /**
     * Stops services started from {@code workDir} by any JVM (for {@code scopeflow services stop}),
     * whether that JVM still runs or crashed, and removes the lock. A live owner in another JVM (a
     * foreground {@code scopeflow services start}) is sent SIGTERM and waited for: it stops its
     * children and exits, as on Ctrl-C. Only children whose command line points into {@code
     * workDir} are touched.
     *
     * @return how many processes were stopped (owner JVM included)
     */
    public static int stopLeftovers(Path workDir) {
        Path dir = workDir.toAbsolutePath().normalize();
        Set<Long> stopped = new HashSet<>();
        Optional<ServicesLockFile> lock = readLock(dir.resolve(LOCK_FILE));
        lock.ifPresent(held -> {
            if (!held.owner().isCurrentJvm()) {
                held.owner().handle().ifPresent(owner -> {
                    // Its shutdown hook stops ClickHouse (15 s grace) and Kafka (30 s) before it exits.
                    countIfOurs(held.kafkaPid(), kafkaMarker(dir), stopped);
                    countIfOurs(held.clickHousePid(), clickHouseMarker(dir), stopped);
                    OwnProcesses.terminate(owner, 90_000);
                    stopped.add(owner.pid());
                });
            }
            stopIfOurs(held.kafkaPid(), kafkaMarker(dir), stopped);
            stopIfOurs(held.clickHousePid(), clickHouseMarker(dir), stopped);
        });
        // Pid files cover a crash before the lock recorded a pid.
        stopIfOurs(OwnProcesses.readPid(dir.resolve("kafka").resolve("kafka.pid")), kafkaMarker(dir), stopped);
        stopIfOurs(
                OwnProcesses.readPid(dir.resolve("clickhouse").resolve("clickhouse.pid")),
                clickHouseMarker(dir),
                stopped);
        // A start that claimed the directory meanwhile keeps its lock; an unreadable one is stale.
        lock.ifPresentOrElse(held -> deleteIfOwnedBy(dir.resolve(LOCK_FILE), held), () -> {
            if (readLock(dir.resolve(LOCK_FILE)).isEmpty()) {
                deleteQuietly(dir.resolve(LOCK_FILE));
            }
        });
        return stopped.size();
    }

    /**
     * The endpoints of services already running from {@code workDir} (e.g. under {@code scopeflow
     * services start}), so a second command can use them instead of failing on the lock; empty when
     * none run.
     */
    public static Optional<ServiceEndpoints> running(Path workDir) {
        return readLock(workDir.toAbsolutePath().normalize().resolve(LOCK_FILE))
                .filter(ServicesLockFile::ownerAlive)
                .map(lock -> ServiceEndpoints.local(
                        Ports.LOOPBACK + ":" + lock.kafkaPort(),
                        "http://" + Ports.LOOPBACK + ":" + lock.clickHouseHttpPort(),
                        ClickHouseUsers.load(
                                workDir.toAbsolutePath().normalize().resolve("clickhouse"))));
    }

    /** Where the two services this instance started listen. */
    public ServiceEndpoints endpoints() {
        return new ServiceEndpoints(
                kafka.bootstrapServers(), clickHouse.httpUrl(), clickHouse.writer(), clickHouse.reader());
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedClickHouse clickHouse() {
        return clickHouse;
    }

    public Path workDir() {
        return workDir;
    }

    /**
     * Blocks until Kafka or ClickHouse is no longer running (stopped by {@code services stop}, by
     * the shutdown hook, or crashed), so a foreground owner never outlives its services.
     */
    public void awaitStopped() throws InterruptedException {
        while (kafka.isRunning() && clickHouse.isRunning()) {
            Thread.sleep(500);
        }
    }

    /** Stops both services and removes the lock, unless another owner has taken it over. Idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs stopServices anyway.
        }
        stopServices();
    }

    /**
     * Stops ClickHouse and Kafka at the same time (each waits for its own flush, and ClickHouse for its clients'
     * idle keep-alive connections: seconds saved at the end of every command), then removes the lock.
     */
    private synchronized void stopServices() {
        Thread clickHouseStop = new Thread(clickHouse::stop, "scopeflow-clickhouse-stop");
        clickHouseStop.start();
        try {
            kafka.stop();
        } finally {
            joinUninterruptibly(clickHouseStop);
            deleteIfOwnedBy(workDir.resolve(LOCK_FILE), lock);
        }
    }

    /** Waits for {@code thread} to end even if interrupted (a stop must finish), keeping the interrupt. */
    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Creates the lock, or explains who holds it; a lock left by a dead JVM is cleaned up first.
     */
    private static void claimLock(Path workDir, ServicesLockFile lock) {
        Path lockPath = workDir.resolve(LOCK_FILE);
        for (int attempt = 0; attempt < 3; attempt++) {
            if (createLockAtomically(lockPath, lock)) {
                return;
            }
            var existing = readLock(lockPath);
            if (existing.isPresent() && existing.get().ownerAlive()) {
                throw alreadyRunning(workDir, existing.get());
            }
            // Stale: the owner died. Its children may still run and hold the ports.
            stopLeftovers(workDir);
        }
        throw new IllegalStateException("Could not create " + lockPath + " (another start is racing with this one?)");
    }

    static IllegalStateException alreadyRunning(Path workDir, ServicesLockFile lock) {
        return new IllegalStateException("ScopeFlow services already running from "
                + workDir
                + " (kafka pid "
                + ServicesLockFile.describePid(lock.kafkaPid())
                + ", clickhouse pid "
                + ServicesLockFile.describePid(lock.clickHousePid())
                + "; started by pid "
                + lock.ownerPid()
                + "); use them (--work-dir "
                + workDir
                + "), or run `scopeflow services stop --work-dir "
                + workDir
                + "` first");
    }

    /** Write to a temp file, then hard-link it into place: link() fails if the lock exists. */
    private static boolean createLockAtomically(Path lockPath, ServicesLockFile lock) {
        Path temp = null;
        try {
            temp = Files.createTempFile(lockPath.getParent(), LOCK_FILE, ".tmp");
            Files.writeString(temp, lock.format(), StandardCharsets.UTF_8);
            try {
                Files.createLink(lockPath, temp);
            } catch (UnsupportedOperationException noHardLinks) {
                Files.writeString(
                        lockPath, lock.format(), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
            }
            return true;
        } catch (FileAlreadyExistsException held) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + lockPath, e);
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    private static void writeLock(Path lockPath, ServicesLockFile lock) {
        try {
            Path temp = Files.createTempFile(lockPath.getParent(), LOCK_FILE, ".tmp");
            Files.writeString(temp, lock.format(), StandardCharsets.UTF_8);
            Files.move(temp, lockPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not update " + lockPath, e);
        }
    }

    /** The lock's contents; empty if absent, and empty (treated as stale) if unreadable. */
    static Optional<ServicesLockFile> readLock(Path lockPath) {
        try {
            if (!Files.isRegularFile(lockPath)) {
                return Optional.empty();
            }
            return Optional.of(ServicesLockFile.parse(Files.readString(lockPath, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Deletes the lock only if {@code owner} wrote it: a process whose lock was replaced (its
     * services were stopped and newer ones started) must never delete the newer lock.
     */
    private static void deleteIfOwnedBy(Path lockPath, ServicesLockFile owner) {
        if (readLock(lockPath).filter(owner::sameOwner).isPresent()) {
            deleteQuietly(lockPath);
        }
    }

    private static void requirePortsFree(Options options, Path workDir) {
        String start = "`scopeflow services start --work-dir " + workDir;
        String external = "`, or point ScopeFlow at a running service with ";
        Ports.requireFree(
                options.kafkaPort(), "Kafka", start + " --kafka-port <port>" + external + "--kafka host:port");
        Ports.requireFree(
                options.kafkaControllerPort(), "the Kafka controller", start + " --kafka-controller-port <port>`");
        Ports.requireFree(
                options.clickHouseHttpPort(),
                "ClickHouse (HTTP)",
                start + " --clickhouse-port <port>" + external + "--clickhouse URL");
        Ports.requireFree(
                options.clickHouseTcpPort(), "ClickHouse (native TCP)", start + " --clickhouse-tcp-port <port>`");
    }

    private static void countIfOurs(OptionalLong pid, String marker, Set<Long> stopped) {
        pid.ifPresent(p -> OwnProcesses.findOurs(p, marker).ifPresent(handle -> stopped.add(handle.pid())));
    }

    private static void stopIfOurs(OptionalLong pid, String marker, Set<Long> stopped) {
        if (pid.isPresent()) {
            OwnProcesses.findOurs(pid.getAsLong(), marker).ifPresent(handle -> {
                OwnProcesses.terminate(handle, 30_000);
                stopped.add(handle.pid());
            });
        }
    }

    static String kafkaMarker(Path workDir) {
        return workDir.resolve("kafka").resolve("server.properties").toString();
    }

    static String clickHouseMarker(Path workDir) {
        return workDir.resolve("clickhouse").resolve("config.xml").toString();
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + dir, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Best effort: a leftover lock is detected as stale next time.
        }
    }

    /** Where and on which ports {@link LocalServices} runs. */
    public record Options(
            Path workDir,
            int kafkaPort,
            int kafkaControllerPort,
            int clickHouseHttpPort,
            int clickHouseTcpPort,
            String kafkaMaxHeap) {

        public Options {
            workDir =
                    Objects.requireNonNull(workDir, "workDir").toAbsolutePath().normalize();
            Ports.requireValid(kafkaPort, "kafkaPort");
            Ports.requireValid(kafkaControllerPort, "kafkaControllerPort");
            Ports.requireValid(clickHouseHttpPort, "clickHouseHttpPort");
            Ports.requireValid(clickHouseTcpPort, "clickHouseTcpPort");
            if (new HashSet<>(java.util.List.of(kafkaPort, kafkaControllerPort, clickHouseHttpPort, clickHouseTcpPort))
                            .size()
                    != 4) {
                throw new IllegalArgumentException("Ports must all differ: kafka "
                        + kafkaPort
                        + ", kafka controller "
                        + kafkaControllerPort
                        + ", clickhouse http "
                        + clickHouseHttpPort
                        + ", clickhouse tcp "
                        + clickHouseTcpPort);
            }
            Objects.requireNonNull(kafkaMaxHeap, "kafkaMaxHeap");
        }

        /**
         * Defaults: {@code .scopeflow/}, Kafka 19092 (controller 19093), ClickHouse HTTP 18123, TCP
         * 19000.
         */
        public static final class Builder {
            private Path workDir = DEFAULT_WORK_DIR;
            private int kafkaPort = DEFAULT_KAFKA_PORT;
            private int kafkaControllerPort = DEFAULT_KAFKA_CONTROLLER_PORT;
            private int clickHouseHttpPort = DEFAULT_CLICKHOUSE_HTTP_PORT;
            private int clickHouseTcpPort = DEFAULT_CLICKHOUSE_TCP_PORT;
            private String kafkaMaxHeap = "512m";

            Builder() {}

            public Builder workDir(Path workDir) {
                this.workDir = workDir;
                return this;
            }

            public Builder kafkaPort(int port) {
                this.kafkaPort = port;
                return this;
            }

            public Builder kafkaControllerPort(int port) {
                this.kafkaControllerPort = port;
                return this;
            }

            public Builder clickHouseHttpPort(int port) {
                this.clickHouseHttpPort = port;
                return this;
            }

            public Builder clickHouseTcpPort(int port) {
                this.clickHouseTcpPort = port;
                return this;
            }

            public Builder kafkaMaxHeap(String maxHeap) {
                this.kafkaMaxHeap = maxHeap;
                return this;
            }

            /** Validates: ports in range and distinct. */
            public Options build() {
                return new Options(
                        workDir, kafkaPort, kafkaControllerPort, clickHouseHttpPort, clickHouseTcpPort, kafkaMaxHeap);
            }
        }
    }
}
