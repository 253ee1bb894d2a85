package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJobMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Where a job runs: an embedded MiniCluster ({@link #embedded}), or a Flink cluster's REST endpoint that
 * receives the job jar ({@code flink-jobs}' shaded jar, which the build copies to cli/target/job).
 */
public record FlinkTarget(String restHost, int restPort, Path jobJar) {

    public static FlinkTarget embedded() {
        return new FlinkTarget(null, 0, null);
    }

    /**
     * From a {@code --flink host:port} option (null: embedded) and an optional {@code --job-jar}; without one,
     * the jar the {@code scopeflow} launcher names in {@code -Dscopeflow.jobJar}.
     */
    static FlinkTarget parse(String hostPort, Path jobJar) {
        if (hostPort == null) {
            return embedded();
        }
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(
                    "--flink '" + hostPort + "' is not host:port (the JobManager's REST port, usually 8081)");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--flink '" + hostPort + "' has a non-numeric port", e);
        }
        Path jar = jobJar != null
                ? jobJar
                : Path.of(System.getProperty("scopeflow.jobJar", "cli/target/job/scopeflow-flink-job.jar"));
        return new FlinkTarget(hostPort.substring(0, colon), port, jar);
    }

    /** A fresh directory for one embedded job's checkpoints; Flink discards them when the job ends. */
    private static Path localCheckpointDirectory() {
        try {
            Path dir = Files.createTempDirectory("scopeflow-checkpoints-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the embedded job's checkpoints", e);
        }
    }

    boolean isRemote() {
        return restHost != null;
    }

    String describe() {
        return isRemote() ? "Flink at " + restHost + ":" + restPort : "an embedded MiniCluster";
    }

    /** An environment on this target with strict types and checkpointing every {@code checkpointMillis}. */
    StreamExecutionEnvironment environment(int parallelism, long checkpointMillis) {
        StreamExecutionEnvironment env;
        if (isRemote()) {
            Configuration conf = FeatureStatsJobMain.strictTypes(); // checkpoint storage: the cluster's own
            if (!Files.isRegularFile(jobJar)) {
                throw new IllegalStateException("Flink job jar " + jobJar + " not found: build with "
                        + "`mvn install -DskipTests` or pass --job-jar");
            }
            // Attached: execute() returns when the job has finished, so its results can be read right after.
            conf.set(DeploymentOptions.ATTACHED, true);
            env = StreamExecutionEnvironment.createRemoteEnvironment(restHost, restPort, conf, jobJar.toString());
            env.setParallelism(parallelism);
        } else {
            env = StreamExecutionEnvironment.createLocalEnvironment(
                    parallelism, FeatureStatsJobMain.localCluster(localCheckpointDirectory()));
        }
        env.enableCheckpointing(checkpointMillis);
        return env;
    }
}
