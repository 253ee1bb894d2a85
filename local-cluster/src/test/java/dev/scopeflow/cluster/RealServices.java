package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving an ITCase class real services for its lifetime: a KRaft Kafka broker and/or a
 * ClickHouse server, started on free ports in a fresh directory under {@code scopeflow.test.workdir}
 * (failsafe sets it to target/it-work) and stopped after the class. Shared with other modules through
 * local-cluster's test jar.
 *
 * <pre>{@code @RegisterExtension static final RealServices SERVICES = RealServices.kafkaAndClickHouse();}</pre>
 */
public final class RealServices implements BeforeAllCallback, AfterAllCallback {

    private final boolean withKafka;
    private final boolean withClickHouse;
    private Path workDir;
    private EmbeddedKafka kafka;
    private EmbeddedClickHouse clickHouse;

    private RealServices(boolean withKafka, boolean withClickHouse) {
        this.withKafka = withKafka;
        this.withClickHouse = withClickHouse;
    }

    public static RealServices kafkaAndClickHouse() {
        return new RealServices(true, true);
    }

    public static RealServices kafkaOnly() {
        return new RealServices(true, false);
    }

    public static RealServices clickHouseOnly() {
        return new RealServices(false, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        workDir = Path.of(System.getProperty("scopeflow.test.workdir", "target/it-work"))
                .resolve(context.getRequiredTestClass().getSimpleName() + "-" + UUID.randomUUID());
        Files.createDirectories(workDir);
        try {
            if (withKafka) {
                kafka = EmbeddedKafka.start(workDir.resolve("kafka"));
            }
            if (withClickHouse) {
                clickHouse = EmbeddedClickHouse.start(workDir.resolve("clickhouse"));
            }
        } catch (RuntimeException e) {
            afterAll(context);
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (clickHouse != null) {
                clickHouse.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    /** This class's directory: services' data and logs, and room for the test's own files. */
    public Path workDir() {
        return require(workDir, "work dir");
    }

    public EmbeddedKafka kafka() {
        return require(kafka, "Kafka (use kafkaAndClickHouse() or kafkaOnly())");
    }

    /**
     * The ClickHouse options a command takes for a server it did not start: URL, writer user and a file with the
     * writer's password (passwords never go on a command line).
     */
    public List<String> clickHouseWriterOptions() {
        Path file = workDir.resolve("writer-password");
        try {
            Files.writeString(file, clickHouse().writer().password() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of(
                "--clickhouse",
                clickHouse().httpUrl(),
                "--clickhouse-user",
                clickHouse().writer().user(),
                "--clickhouse-password-file",
                file.toString());
    }

    public EmbeddedClickHouse clickHouse() {
        return require(clickHouse, "ClickHouse (use kafkaAndClickHouse() or clickHouseOnly())");
    }

    /**
     * Every record of {@code topic} from its start, read by a fresh consumer group: polls until
     * {@code expected} records arrived (or 60 s passed), then once more for a second so that records beyond
     * those expected are returned too. Callers assert the count.
     */
    public List<ConsumerRecord<byte[], byte[]>> readTopic(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka().bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "it-reader-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
        }
        return records;
    }

    private static <T> T require(T value, String what) {
        if (value == null) {
            throw new IllegalStateException(what + " is not started: register RealServices as a static "
                    + "@RegisterExtension field and use it from @BeforeAll or test methods");
        }
        return value;
    }
}
