package dev.scopeflow.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink cluster in its own JVM whose classpath holds Flink and its dependencies only — no Kafka client, no
 * connector, no Arrow, none of our classes — like a real cluster's {@code lib/}. A job submitted to it through
 * REST works only if the job jar carries everything it needs. DJL and the libtorch natives stay on its classpath, as
 * README's cluster set-up puts them into {@code lib/} (the job jar never carries them), so the job's default kernel
 * resolves to TORCH there.
 */
final class StandaloneFlinkCluster implements AutoCloseable {

    /** What a Flink distribution does not ship: the job jar must bring these. */
    private static final Pattern NOT_IN_FLINK_DIST = Pattern.compile(
            ".*/(kafka[^/]*|flink-connector-kafka[^/]*|arrow-[^/]*|scopeflow-[^/]*|zstd-jni[^/]*|lz4-java[^/]*|snappy-java[^/]*)\\.jar");

    private final Process process;
    private final int restPort;

    private StandaloneFlinkCluster(Process process, int restPort) {
        this.process = process;
        this.restPort = restPort;
    }

    static StandaloneFlinkCluster start(Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path portFile = workDir.resolve("rest.port");
        Files.deleteIfExists(portFile);
        Path projectRoot = Path.of("").toAbsolutePath().getParent();
        List<String> classpath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry).toAbsolutePath();
            boolean ourModule = path.startsWith(projectRoot) && !path.endsWith(Path.of("cli/target/test-classes"));
            if (!ourModule && !NOT_IN_FLINK_DIST.matcher(path.toString()).matches()) {
                classpath.add(entry);
            }
        }
        Path argFile = workDir.resolve("java.args");
        Files.writeString(argFile, "-cp \"" + String.join(File.pathSeparator, classpath) + "\"");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        // As Flink's default env.java.opts.all for Java 17 does; Arrow needs java.nio open.
                        "-Xmx768m",
                        "--add-opens=java.base/java.nio=ALL-UNNAMED",
                        "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "--add-opens=java.base/java.util=ALL-UNNAMED",
                        "@" + argFile,
                        Main.class.getName(),
                        portFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("flink.log").toFile())
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("Flink cluster did not start; see " + workDir.resolve("flink.log"));
            }
            Thread.sleep(100);
        }
        return new StandaloneFlinkCluster(
                process, Integer.parseInt(Files.readString(portFile).trim()));
    }

    int restPort() {
        return restPort;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** Runs in the child JVM: a MiniCluster with a REST endpoint on a free port, written to the given file. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            Configuration conf = new Configuration();
            conf.set(RestOptions.BIND_PORT, "0");
            MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                    .setConfiguration(conf)
                    .setNumTaskManagers(1)
                    .setNumSlotsPerTaskManager(2)
                    .build());
            cluster.start();
            Path portFile = Path.of(args[0]);
            Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
            Files.writeString(tmp, String.valueOf(cluster.getRestAddress().get().getPort()), StandardCharsets.UTF_8);
            Files.move(tmp, portFile);
            Thread.currentThread().join(); // until the parent destroys this JVM
        }
    }
}
