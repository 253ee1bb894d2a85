package dev.scopeflow.cluster;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

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

    public EmbeddedClickHouse clickHouse() {
        return require(clickHouse, "ClickHouse (use kafkaAndClickHouse() or clickHouseOnly())");
    }

    private static <T> T require(T value, String what) {
        if (value == null) {
            throw new IllegalStateException(what + " is not started: register RealServices as a static "
                    + "@RegisterExtension field and use it from @BeforeAll or test methods");
        }
        return value;
    }
}
