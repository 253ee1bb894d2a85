package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.LocalServices;
import dev.scopeflow.cluster.ServiceEndpoints;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code scopeflow services start} in the foreground of its own JVM, as a user runs it in a second terminal,
 * and the commands run next to it: {@code services stop} ends it with its children, the ports chosen on its
 * command line are used, and every hint names the work dir. Free ports, so nothing clashes with a demo.
 */
class ServicesLifecycleITCase {

    @Test
    void stopEndsAForegroundStartOnTheChosenPortsWithItsChildren() throws Exception {
        Path workDir = freshDir("foreground");
        int[] ports = freePorts(4);
        Path log = workDir.resolveSibling(workDir.getFileName() + ".log");
        Process foreground = startServices(log, workDir, ports);
        try {
            awaitLine(log, "Running until Ctrl-C", foreground);
            assertThat(Files.readString(log)).contains("--work-dir " + workDir);
            ServiceEndpoints running = LocalServices.running(workDir).orElseThrow();
            assertThat(running.kafkaBootstrap()).isEqualTo("127.0.0.1:" + ports[0]);
            assertThat(running.clickHouseUrl()).isEqualTo("http://127.0.0.1:" + ports[2]);
            Properties lock = readLock(workDir);
            long kafkaPid = Long.parseLong(lock.getProperty("kafka.pid"));
            long clickHousePid = Long.parseLong(lock.getProperty("clickhouse.pid"));

            CommandRun.Output second = CommandRun.execute("services", "start", "--work-dir", workDir.toString());
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err())
                    .contains("already running from " + workDir)
                    .contains("scopeflow services stop --work-dir " + workDir);

            // With the lock gone (removed by hand), a command must not start a second ClickHouse on the data.
            Path lockFile = workDir.resolve("services.lock");
            Path aside = workDir.resolveSibling(workDir.getFileName() + ".lock-aside");
            Files.move(lockFile, aside);
            CommandRun.Output query =
                    CommandRun.execute("query", "--work-dir", workDir.toString(), "--database", "system", "SELECT 1");
            Files.move(aside, lockFile);
            assertThat(query.exit()).as(query.err()).isEqualTo(1);
            assertThat(query.err()).contains("already runs on the data in").contains("--work-dir " + workDir);
            assertThat(ProcessHandle.of(clickHousePid).map(ProcessHandle::isAlive))
                    .contains(true);

            CommandRun.Output stop = CommandRun.execute("services", "stop", "--work-dir", workDir.toString());
            assertThat(stop.exit()).as(stop.err()).isZero();
            assertThat(stop.out()).contains("Stopped 3 process(es) started from --work-dir " + workDir);
            assertThat(foreground.isAlive())
                    .as("the foreground services start has exited")
                    .isFalse();
            assertThat(ProcessHandle.of(kafkaPid).map(ProcessHandle::isAlive))
                    .isNotEqualTo(java.util.Optional.of(true));
            assertThat(ProcessHandle.of(clickHousePid).map(ProcessHandle::isAlive))
                    .isNotEqualTo(java.util.Optional.of(true));
            assertThat(lockFile).doesNotExist();
            assertThat(LocalServices.running(workDir)).isEmpty();
        } finally {
            foreground.destroyForcibly();
            LocalServices.stopLeftovers(workDir);
        }
    }

    @Test
    void aStaleOwnerExitingLaterLeavesTheNewerServicesFoundByQuery() throws Exception {
        Path workDir = freshDir("stale-owner");
        int[] ports = freePorts(8);
        // Other ports for the newer services: the paused owner still holds connections to the old ones.
        LocalServices.Options options = LocalServices.options()
                .workDir(workDir)
                .kafkaPort(ports[4])
                .kafkaControllerPort(ports[5])
                .clickHouseHttpPort(ports[6])
                .clickHouseTcpPort(ports[7])
                .build();
        Path log = workDir.resolveSibling(workDir.getFileName() + ".log");
        Process stale = startServices(log, workDir, ports);
        try {
            awaitLine(log, "Running until Ctrl-C", stale);
            Properties lock = readLock(workDir);
            // The old `services stop`: children killed and the lock removed, the owner JVM left running. It
            // is paused so it cannot notice before newer services took the directory over.
            ProcessHandle owner = stale.toHandle();
            signal("STOP", owner.pid());
            kill(Long.parseLong(lock.getProperty("clickhouse.pid")));
            kill(Long.parseLong(lock.getProperty("kafka.pid")));
            Files.delete(workDir.resolve("services.lock"));
            try (LocalServices newer = LocalServices.start(options)) {
                signal("CONT", owner.pid());
                stale.destroy(); // Ctrl-C of the stale foreground start
                assertThat(stale.waitFor(60, java.util.concurrent.TimeUnit.SECONDS))
                        .isTrue();

                assertThat(workDir.resolve("services.lock")).exists();
                assertThat(LocalServices.running(workDir)).contains(newer.endpoints());
                CommandRun.Output query = CommandRun.execute(
                        "query", "--work-dir", workDir.toString(), "--database", "system", "SELECT 40 + 2");
                assertThat(query.exit()).as(query.err()).isZero();
                assertThat(query.out()).endsWith("42\n");
                assertThat(query.err())
                        .contains("Using the services running from " + workDir)
                        .doesNotContain("Starting embedded");
                assertThat(newer.clickHouse().isRunning()).isTrue();
            }
        } finally {
            signal("CONT", stale.pid());
            stale.destroyForcibly();
            LocalServices.stopLeftovers(workDir);
        }
    }

    private static void awaitLine(Path log, String text, Process process) throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (System.nanoTime() < deadline) {
            String written = Files.isRegularFile(log) ? Files.readString(log) : "";
            if (written.contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("services start exited with " + process.exitValue() + ":\n" + written);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + text + "' within 180 s:\n" + Files.readString(log));
    }

    private static Properties readLock(Path workDir) throws IOException {
        Properties lock = new Properties();
        lock.load(new StringReader(Files.readString(workDir.resolve("services.lock"))));
        return lock;
    }

    /** SIGKILL; its paused parent cannot reap it, so "gone" is dead or a zombie (which holds no ports). */
    private static void kill(long pid) throws InterruptedException {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        while (true) {
            String state;
            try {
                state = Files.readString(stat);
            } catch (IOException gone) {
                return;
            }
            if (state.substring(state.lastIndexOf(')') + 1).trim().startsWith("Z")) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /** SIGSTOP/SIGCONT, which ProcessHandle does not offer. */
    private static void signal(String name, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor();
    }

    private static Path freshDir(String name) throws IOException {
        Path root = Path.of(System.getProperty("scopeflow.test.workdir", "target/it-work"))
                .toAbsolutePath()
                .normalize();
        Files.createDirectories(root);
        return Files.createTempDirectory(root, "services-" + name + "-");
    }

    /** {@code services start} in a child JVM on {@code ports[0..3]} (Kafka, its controller, ClickHouse HTTP and TCP). */
    private static Process startServices(Path log, Path workDir, int[] ports) throws IOException {
        return CommandProcess.start(
                log,
                "services",
                "start",
                "--work-dir",
                workDir.toString(),
                "--kafka-port",
                Integer.toString(ports[0]),
                "--kafka-controller-port",
                Integer.toString(ports[1]),
                "--clickhouse-port",
                Integer.toString(ports[2]),
                "--clickhouse-tcp-port",
                Integer.toString(ports[3]));
    }

    private static int[] freePorts(int count) throws IOException {
        Set<Integer> ports = new HashSet<>();
        while (ports.size() < count) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                ports.add(socket.getLocalPort());
            }
        }
        return ports.stream().mapToInt(Integer::intValue).toArray();
    }
}
