package dev.scopeflow.cli;

import static dev.scopeflow.cli.Service.CLICKHOUSE;
import static dev.scopeflow.cli.Service.FLINK;
import static dev.scopeflow.cli.Service.KAFKA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resolution order, without services: what is looked up, started, migrated and stopped. */
class ServiceResolverTest {

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @Test
    void explicitEndpointsWinAndNothingIsLookedUpOrStarted() {
        TestingMachine machine = TestingMachine.running("127.0.0.1:9", "http://127.0.0.1:9");
        try (Services services = resolve(
                ServiceOptions.writing(KAFKA, CLICKHOUSE, FLINK),
                machine,
                "--kafka",
                "broker:9092",
                "--clickhouse",
                "http://ch:8123",
                "--database",
                "db1",
                "--topic-prefix",
                "tp")) {
            assertThat(services.kafkaBootstrap()).isEqualTo("broker:9092");
            assertThat(services.clickHouseUrl()).isEqualTo("http://ch:8123");
            assertThat(services.topics().activations()).startsWith("tp.");
            assertThat(services.flink().isRemote()).isFalse();
            assertThat(services.startedAny()).isFalse();
        }
        assertThat(machine.calls).containsExactly("migrate http://ch:8123 default db1");
    }

    @Test
    void runningServicesFillWhatWasNotGiven() {
        TestingMachine machine = TestingMachine.running("127.0.0.1:19092", "http://127.0.0.1:18123");
        try (Services services = resolve(
                ServiceOptions.writing(KAFKA, CLICKHOUSE), machine, "--kafka", "broker:9092", "--work-dir", "wd")) {
            assertThat(services.kafkaBootstrap()).isEqualTo("broker:9092");
            assertThat(services.clickHouseUrl()).isEqualTo("http://127.0.0.1:18123");
        }
        assertThat(machine.calls).containsExactly("running wd", "migrate http://127.0.0.1:18123 w scopeflow");
        assertThat(log()).contains("Using the services running from");
    }

    @Test
    void kafkaAloneWithNothingRunningStartsOnlyClickHouseAndStopsOnlyIt() {
        TestingMachine machine = TestingMachine.idle();
        try (Services services = resolve(
                ServiceOptions.writing(KAFKA, CLICKHOUSE), machine, "--kafka", "broker:9092", "--work-dir", "wd")) {
            assertThat(services.kafkaBootstrap()).isEqualTo("broker:9092");
            assertThat(services.clickHouseUrl()).isEqualTo(TestingMachine.STARTED_CLICKHOUSE);
            assertThat(services.startedAny()).isTrue();
        }
        assertThat(machine.calls)
                .containsExactly(
                        "running wd",
                        "start clickhouse",
                        "migrate " + TestingMachine.STARTED_CLICKHOUSE + " w scopeflow",
                        "stop clickhouse");
        assertThat(log()).contains("Starting embedded ClickHouse in");
    }

    @Test
    void nothingGivenNothingRunningStartsBothForACommandUsingBoth() {
        TestingMachine machine = TestingMachine.idle();
        try (Services services =
                resolve(ServiceOptions.writing(KAFKA, CLICKHOUSE, FLINK), machine, "--work-dir", "wd")) {
            assertThat(services.kafkaBootstrap()).isEqualTo(TestingMachine.STARTED_KAFKA);
            assertThat(services.clickHouseUrl()).isEqualTo(TestingMachine.STARTED_CLICKHOUSE);
        }
        assertThat(machine.calls)
                .containsExactly(
                        "running wd",
                        "start kafka+clickhouse",
                        "migrate " + TestingMachine.STARTED_CLICKHOUSE + " w scopeflow",
                        "stop kafka+clickhouse");
    }

    @Test
    void aReaderOfClickHouseStartsOnlyClickHouseAndMigratesNothing() {
        TestingMachine machine = TestingMachine.idle();
        try (Services services =
                resolve(ServiceOptions.reading(CLICKHOUSE), machine, "--work-dir", "wd", "--database", "system")) {
            assertThat(services.database()).isEqualTo("system");
            assertThatThrownBy(services::kafkaBootstrap).hasMessageContaining("did not ask ServiceOptions for KAFKA");
            assertThatThrownBy(services::flink).hasMessageContaining("FLINK");
        }
        assertThat(machine.calls).containsExactly("running wd", "start clickhouse", "stop clickhouse");
    }

    @Test
    void aKafkaOnlyWriterStartsOnlyKafkaAndMigratesNothing() {
        TestingMachine machine = TestingMachine.idle();
        try (Services services = resolve(ServiceOptions.writing(KAFKA), machine, "--work-dir", "wd")) {
            assertThat(services.kafkaBootstrap()).isEqualTo(TestingMachine.STARTED_KAFKA);
            assertThatThrownBy(services::clickHouseUrl).hasMessageContaining("CLICKHOUSE");
        }
        assertThat(machine.calls).containsExactly("running wd", "start kafka", "stop kafka");
    }

    @Test
    void aRunningKafkaIsUsedByAKafkaOnlyCommand() {
        TestingMachine machine = TestingMachine.running("127.0.0.1:19092", "http://127.0.0.1:18123");
        try (Services services = resolve(ServiceOptions.writing(KAFKA), machine, "--work-dir", "wd")) {
            assertThat(services.kafkaBootstrap()).isEqualTo("127.0.0.1:19092");
            assertThat(services.startedAny()).isFalse();
        }
        assertThat(machine.calls).containsExactly("running wd");
    }

    @Test
    void aFailedMigrationStopsWhatWasStarted() {
        TestingMachine machine = TestingMachine.failingMigrations(new IllegalStateException("migration V002 failed"));
        assertThatThrownBy(() -> resolve(ServiceOptions.writing(KAFKA, CLICKHOUSE), machine, "--work-dir", "wd"))
                .hasMessage("migration V002 failed");
        assertThat(machine.calls)
                .containsExactly(
                        "running wd",
                        "start kafka+clickhouse",
                        "migrate " + TestingMachine.STARTED_CLICKHOUSE + " w scopeflow",
                        "stop kafka+clickhouse");
    }

    @Test
    void badOptionsFailWithOneClearLineBeforeAnythingStarts() {
        TestingMachine machine = TestingMachine.idle();
        assertThatThrownBy(() ->
                        resolve(ServiceOptions.writing(KAFKA, CLICKHOUSE, FLINK), machine, "--flink", "jobmanager"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--flink 'jobmanager' is not host:port (the JobManager's REST port, usually 8081)");
        assertThatThrownBy(() -> resolve(ServiceOptions.reading(CLICKHOUSE), machine, "--database", "my-db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("my-db");
        assertThat(machine.calls).isEmpty();
    }

    @Test
    void flinkGivenMeansARemoteTarget() {
        try (Services services = resolve(
                ServiceOptions.writing(KAFKA, CLICKHOUSE, FLINK),
                TestingMachine.idle(),
                "--flink",
                "jm:8081",
                "--job-jar",
                "job.jar")) {
            assertThat(services.flink().isRemote()).isTrue();
            assertThat(services.flink().describe()).isEqualTo("Flink at jm:8081");
            assertThat(services.jobEndpoints(false).bounded()).isFalse();
            assertThat(services.jobEndpoints(true).kafkaBootstrap()).isEqualTo(TestingMachine.STARTED_KAFKA);
        }
    }

    @Test
    void aGivenServerUsesTheGivenUserForReadingAndWritingWithThePasswordFromAFile(@TempDir Path dir) throws Exception {
        Path passwordFile = dir.resolve("pw");
        Files.writeString(passwordFile, "s3cret\n");
        TestingMachine machine = TestingMachine.idle();
        try (Services services = resolve(
                ServiceOptions.writing(CLICKHOUSE),
                machine,
                "--clickhouse",
                "http://ch:8123",
                "--clickhouse-user",
                "alice",
                "--clickhouse-password-file",
                passwordFile.toString())) {
            assertThat(services.clickHouseWriter()).isEqualTo(new ClickHouseLogin("alice", "s3cret"));
            assertThat(services.clickHouseReader()).isEqualTo(services.clickHouseWriter());
            assertThat(services.hasReadOnlyUser()).isFalse();
        }
        assertThat(machine.calls).containsExactly("migrate http://ch:8123 alice scopeflow");
        assertThat(log()).doesNotContain("s3cret");
    }

    @Test
    void theEmbeddedServersUsersComeFromTheWorkDirNotFromOptions() {
        try (Services services = resolve(ServiceOptions.reading(CLICKHOUSE), TestingMachine.idle())) {
            assertThat(services.clickHouseReader()).isEqualTo(TestingMachine.READER);
            assertThat(services.hasReadOnlyUser()).isTrue();
        }
        assertThatThrownBy(() -> resolve(
                        ServiceOptions.reading(CLICKHOUSE), TestingMachine.idle(), "--clickhouse-user", "alice"))
                .hasMessageContaining("--clickhouse-user needs --clickhouse");
    }

    private Services resolve(ServiceOptions options, TestingMachine machine, String... args) {
        return ServiceResolver.resolve(
                TestingServiceOptions.parse(options, args),
                machine,
                new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }
}
