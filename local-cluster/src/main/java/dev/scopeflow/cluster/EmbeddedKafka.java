package dev.scopeflow.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real single-node KRaft Kafka (broker and controller) in a child JVM, so it can be killed and
 * restarted like a real broker and none of its threads live in the caller's JVM (only formatting a new
 * data directory runs here, with Kafka's own classes). Data, config and the broker log ({@code
 * kafka.log}) live under one directory.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(workDir)) {
 *   kafka.createTopic("activations", 4);
 *   producerProps.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final String PID_FILE = "kafka.pid";

    private final KafkaConfig config;
    private final ChildProcess process;
    private final Duration startupTimeout;

    private EmbeddedKafka(KafkaConfig config, Path argumentFile, String maxHeap, Duration startupTimeout) {
        this.config = config;
        this.startupTimeout = startupTimeout;
        List<String> command = new ArrayList<>(javaCommand(argumentFile, maxHeap));
        command.add("-Dlog4j2.configurationFile=" + config.log4jFile());
        command.add("-Dkafka.logs.dir=" + config.dir().resolve("logs"));
        command.add("kafka.Kafka");
        command.add(config.propertiesFile().toString()); // also the marker that identifies a leftover broker
        this.process =
                new ChildProcess("kafka", command, Map.of(), config.dir(), config.brokerLog(), Duration.ofSeconds(30));
    }

    /** Starts a broker in {@code workDir} on a free port. */
    public static EmbeddedKafka start(Path workDir) {
        return builder().workDir(workDir).start();
    }

    /** Starts a broker in {@code workDir} listening on 127.0.0.1:{@code port}. */
    public static EmbeddedKafka start(Path workDir, int port) {
        return builder().workDir(workDir).port(port).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return config.bootstrapServers();
    }

    public int port() {
        return config.port();
    }

    public int controllerPort() {
        return config.controllerPort();
    }

    public Path workDir() {
        return config.dir();
    }

    /** Pid of the broker JVM (it must have been started). */
    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Creates the topic with replication factor 1; does nothing if it already exists. */
    public void createTopic(String name, int partitions) {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(
                        "Could not create topic " + name + " on " + bootstrapServers(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Creating topic " + name + " on " + bootstrapServers() + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        }
    }

    /** Graceful shutdown (SIGTERM; SIGKILL after 30 s). Data stays. Idempotent. */
    public void stop() {
        process.stop();
    }

    /** SIGKILL, like a crash: no controlled shutdown, unflushed state is recovered on restart. */
    public void kill() {
        process.kill();
    }

    /** Stops the broker if it runs and starts it again on the same ports with the same data. */
    public void restart() {
        process.stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    private void launch() {
        process.launch(config.dir().resolve(PID_FILE), config.propertiesFile().toString(), this::awaitBroker);
    }

    /** Ready once an AdminClient sees this node in the cluster metadata. */
    private void awaitBroker() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Kafka exited with code "
                            + process.exitCode()
                            + " while starting in "
                            + config.dir()
                            + "\n"
                            + process.logTail());
                }
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException notYet) {
                    // Not listening yet; retry until the deadline.
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Kafka at "
                            + bootstrapServers()
                            + " did not come up within "
                            + startupTimeout.toSeconds()
                            + " s\n"
                            + process.logTail());
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Kafka", e);
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "scopeflow-local-cluster");
        return Admin.create(props);
    }

    /**
     * The broker's JVM. C1 only: the broker's per-byte work is native (page-cache copies, the CRC32C intrinsic,
     * zstd through JNI), while C2 spent 6 s of CPU compiling Kafka's start-up and request paths in every run,
     * which on a laptop is taken from the job's encode (measured: broker CPU per {@code scopeflow run} of 65k
     * tokens 16.7 s with C2, 10-12 s without; start 1.2 s faster).
     */
    private static List<String> javaCommand(Path argumentFile, String maxHeap) {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m",
                "-Xmx" + maxHeap,
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                "@" + argumentFile);
    }

    /**
     * Formats a new data directory once (meta.properties and the bootstrap metadata, as {@code kafka-storage.sh
     * format} writes them for a static quorum); a formatted directory is reused as is. Kafka's own {@link Formatter}
     * runs in this JVM: a separate JVM for it cost 1.5 s of every fresh start.
     */
    private static void formatIfNeeded(KafkaConfig config) {
        if (Files.isRegularFile(config.dataDir().resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(output, true, StandardCharsets.UTF_8))
                    .setNodeId(KafkaConfig.NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName(KafkaConfig.CONTROLLER_LISTENER)
                    .setDirectories(List.of(config.dataDir().toString()))
                    .setMetadataLogDirectory(config.dataDir().toString())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException(
                    "Formatting Kafka storage in " + config.dataDir() + " failed: " + e.getMessage() + "\n"
                            + output.toString(StandardCharsets.UTF_8),
                    e);
        }
    }

    /** Options for {@link EmbeddedKafka}; {@link #workDir(Path)} is required. */
    public static final class Builder {
        private Path workDir;
        private int port;
        private int controllerPort;
        private String maxHeap = "512m";
        private Duration startupTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /**
         * Required: directory for config, data and the broker log; reused (same data) if present.
         */
        public Builder workDir(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            return this;
        }

        /** Client (PLAINTEXT) port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = port == 0 ? 0 : Ports.requireValid(port, "Kafka port");
            return this;
        }

        /** KRaft controller port; 0 (default) picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort == 0 ? 0 : Ports.requireValid(controllerPort, "Kafka controller port");
            return this;
        }

        /** Broker JVM -Xmx, e.g. "512m" (default) or "1g". */
        public Builder maxHeap(String maxHeap) {
            if (maxHeap == null || !maxHeap.matches("\\d+[kKmMgG]?")) {
                throw new IllegalArgumentException("maxHeap must look like 512m or 1g, got " + maxHeap);
            }
            this.maxHeap = maxHeap;
            return this;
        }

        /** How long to wait for the broker to answer; default 60 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            if (startupTimeout.isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, got " + startupTimeout);
            }
            this.startupTimeout = startupTimeout;
            return this;
        }

        /**
         * Writes the config, formats storage if new, starts the broker and waits until it answers.
         */
        public EmbeddedKafka start() {
            if (workDir == null) {
                throw new IllegalStateException("EmbeddedKafka needs a workDir");
            }
            int clientPort = port == 0 ? Ports.freePort() : port;
            int quorumPort = controllerPort;
            while (quorumPort == 0 || quorumPort == clientPort) {
                quorumPort = Ports.freePort();
            }
            KafkaConfig config = new KafkaConfig(workDir, clientPort, quorumPort);
            Path argumentFile = config.dir().resolve("java.args");
            OwnProcesses.requireNotInUse(
                    config.dir().resolve(PID_FILE), config.propertiesFile().toString(), "kafka");
            try {
                Files.createDirectories(config.dataDir());
                Files.writeString(config.propertiesFile(), config.propertiesText(), StandardCharsets.UTF_8);
                Files.writeString(config.log4jFile(), config.log4jText(), StandardCharsets.UTF_8);
                Files.writeString(
                        argumentFile, JavaClasspath.argumentFile(JavaClasspath.ofCurrentJvm()), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not write Kafka config into " + config.dir(), e);
            }
            formatIfNeeded(config);
            EmbeddedKafka kafka = new EmbeddedKafka(config, argumentFile, maxHeap, startupTimeout);
            kafka.launch();
            return kafka;
        }
    }
}
