package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Real Kafka + ClickHouse under one lock, on free ports so a developer's running demo is untouched.
 */
class LocalServicesITCase {

    @Test
    void secondStartFailsClearlyAndStopLeavesNothing() throws Exception {
        LocalServices.Options options = freeOptions(TestDirs.fresh("services"));
        long started = System.nanoTime();
        long kafkaPid;
        long clickHousePid;
        try (LocalServices services = LocalServices.start(options)) {
            System.out.printf("LocalServices started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            kafkaPid = services.kafka().pid();
            clickHousePid = services.clickHouse().pid();
            assertThat(services.kafka().bootstrapServers()).isEqualTo("127.0.0.1:" + options.kafkaPort());
            assertThat(services.clickHouse().httpPort()).isEqualTo(options.clickHouseHttpPort());
            assertThat(Files.readString(options.workDir().resolve("services.lock")))
                    .contains("kafka.pid=" + kafkaPid);

            assertThatThrownBy(() -> LocalServices.start(options))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ScopeFlow services already running from " + options.workDir())
                    .hasMessageContaining("kafka pid " + kafkaPid)
                    .hasMessageContaining("clickhouse pid " + clickHousePid)
                    .hasMessageContaining("scopeflow services stop --work-dir " + options.workDir());
            assertThat(services.kafka().isRunning()).isTrue(); // the failed start touched nothing
        }
        assertThat(OwnProcesses.isAlive(kafkaPid)).isFalse();
        assertThat(OwnProcesses.isAlive(clickHousePid)).isFalse();
        assertThat(options.workDir().resolve("services.lock")).doesNotExist();
    }

    @Test
    void portInUseNamesPortAndServiceAndStartsNothing() throws Exception {
        LocalServices.Options options = freeOptions(TestDirs.fresh("services-port"));
        try (ServerSocket squatter =
                new ServerSocket(options.clickHouseHttpPort(), 1, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> LocalServices.start(options))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Port " + options.clickHouseHttpPort())
                    .hasMessageContaining("ClickHouse (HTTP)")
                    .hasMessageContaining("--work-dir " + options.workDir() + " --clickhouse-port <port>");
        }
        assertThat(options.workDir().resolve("services.lock")).doesNotExist();
        assertThat(options.workDir().resolve("kafka")).doesNotExist();
    }

    @Test
    void staleLockIsCleanedAndLeftoverChildrenAreKilled() throws Exception {
        LocalServices.Options options = freeOptions(TestDirs.fresh("services-stale"));
        // A "crashed" earlier run: its Kafka still runs, the JVM that owned it is gone (an
        // impossible
        // pid stands in for the dead owner).
        EmbeddedKafka orphan = EmbeddedKafka.builder()
                .workDir(options.workDir().resolve("kafka"))
                .port(options.kafkaPort())
                .start();
        long orphanPid = orphan.pid();
        ServicesLockFile stale = new ServicesLockFile(
                        Long.MAX_VALUE / 2,
                        1L,
                        "crashed",
                        java.util.OptionalLong.empty(),
                        options.kafkaPort(),
                        options.kafkaControllerPort(),
                        java.util.OptionalLong.empty(),
                        options.clickHouseHttpPort(),
                        options.clickHouseTcpPort())
                .withKafkaPid(orphanPid)
                .withClickHousePid(ProcessHandle.current().pid()); // alive but not ours: must be left alone
        Files.writeString(options.workDir().resolve("services.lock"), stale.format(), StandardCharsets.UTF_8);

        try (LocalServices services = LocalServices.start(options)) {
            assertThat(OwnProcesses.isAlive(orphanPid)).isFalse();
            assertThat(services.kafka().pid()).isNotEqualTo(orphanPid);
            assertThat(services.kafka().isRunning()).isTrue();
        } finally {
            orphan.kill(); // no-op when the cleanup worked
        }
    }

    @Test
    void stopLeftoversStopsServicesOfADirectory() {
        LocalServices.Options options = freeOptions(TestDirs.fresh("services-stop"));
        try (LocalServices services = LocalServices.start(options)) {
            long kafkaPid = services.kafka().pid();
            long clickHousePid = services.clickHouse().pid();
            assertThat(LocalServices.stopLeftovers(options.workDir())).isEqualTo(2);
            assertThat(OwnProcesses.isAlive(kafkaPid)).isFalse();
            assertThat(OwnProcesses.isAlive(clickHousePid)).isFalse();
            assertThat(options.workDir().resolve("services.lock")).doesNotExist();
        }
    }

    @Test
    void aStaleOwnerNeverDeletesTheLockOfNewerServices() {
        LocalServices.Options options = freeOptions(TestDirs.fresh("services-owner"));
        Path lock = options.workDir().resolve("services.lock");
        LocalServices stale = LocalServices.start(options);
        try {
            // Its services are gone and its lock removed (by hand, or by an older `services stop`), but the
            // owner lives on until after newer services took over the directory.
            stale.clickHouse().kill();
            stale.kafka().kill();
            Files.delete(lock);
            try (LocalServices newer = LocalServices.start(options)) {
                stale.close();
                assertThat(lock).exists();
                assertThat(LocalServices.running(options.workDir())).contains(newer.endpoints());
                assertThat(newer.kafka().isRunning()).isTrue();
            }
            assertThat(lock).doesNotExist();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            stale.close();
        }
    }

    @Test
    void aSecondClickHouseOnTheSameDataIsRefusedAndTheFirstKeepsRunning() {
        Path dir = TestDirs.fresh("clickhouse-twice").resolve("clickhouse");
        try (EmbeddedClickHouse first = EmbeddedClickHouse.start(dir)) {
            long pid = first.pid();
            assertThatThrownBy(() -> EmbeddedClickHouse.start(dir))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already runs on the data in " + dir)
                    .hasMessageContaining("pid " + pid)
                    .hasMessageContaining("--work-dir " + dir.getParent());
            assertThat(first.isRunning()).isTrue();
            assertThat(first.pid()).isEqualTo(pid);
            assertThat(first.query("SELECT 1").trim()).isEqualTo("1");
        }
    }

    private static LocalServices.Options freeOptions(Path workDir) {
        int kafka = Ports.freePort();
        int controller = distinctFreePort(kafka);
        int http = distinctFreePort(kafka, controller);
        int tcp = distinctFreePort(kafka, controller, http);
        return LocalServices.options()
                .workDir(workDir)
                .kafkaPort(kafka)
                .kafkaControllerPort(controller)
                .clickHouseHttpPort(http)
                .clickHouseTcpPort(tcp)
                .build();
    }

    private static int distinctFreePort(int... taken) {
        while (true) {
            int port = Ports.freePort();
            if (java.util.Arrays.stream(taken).noneMatch(t -> t == port)) {
                return port;
            }
        }
    }
}
