package dev.scopeflow.flink;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.MultipleParameterTool;

/**
 * Entry point of the job jar, for {@code flink run} on a real cluster:
 *
 * <pre>
 * flink run scopeflow-flink-jobs-VERSION-job.jar --kafka broker:9092 --clickhouse http://clickhouse:8123 \
 *     --run-id my-run --sae gemmascope-res-16k-l20=res.20=/shared/saes/layer_20/width_16k/average_l0_71/params.npz
 * </pre>
 *
 * SAE paths must be readable from every task manager (a shared file system). Options: {@code --database}
 * (default scopeflow), {@code --topic-prefix} (default scopeflow), {@code --unbounded} (keep reading new
 * activations; statistics are then published every {@code --snapshot-interval-ms}, default 10000),
 * {@code --checkpoint-interval-ms} (default 10000), {@code --top-k} (default 20), {@code --store POLICY} (which
 * activations go to {@code feature_activations}: {@code all} (default), {@code none}, {@code 'min-activation X'} or
 * {@code 'top-per-token N'}, quoted as one argument; {@code ID=POLICY} for one SAE; repeatable), {@code --backend auto|java|torch}
 * (the encode kernel; default auto: torch where libtorch loads on the task manager, see README "Using real
 * clusters", else java), {@code --torch-threads N} (libtorch intra-op threads per encode subtask; default: the task
 * manager's cores divided by its encode subtasks), {@code --task-manager-cores N} (the cores that default shares out;
 * default: the task manager's available processors), {@code --device cpu|cuda|auto} (where torch encodes on each
 * task manager; default cpu; cuda needs a GPU and CUDA natives there), {@code --model-id} and {@code --corpus} (for the runs registry),
 * {@code --clickhouse-user} (its password from {@code SCOPEFLOW_CLICKHOUSE_PASSWORD} or the first line of
 * {@code --clickhouse-password-file}; never a command-line value, never logged),
 * and the failure-rate restart strategy: the job gives up, and the run is marked failed, after more than
 * {@code --max-failures-per-interval} (default 3) failures within {@code --failure-rate-interval-ms} (default
 * 600000), restarting {@code --restart-delay-ms} (default 10000) after each.
 * The database is migrated and the SAEs and the run are recorded in its registry from the submitting client, so the SAE paths must
 * be readable there too.
 */
public final class FeatureStatsJobMain {

    /** How often the job checkpoints unless told otherwise; each checkpoint also commits its rows to ClickHouse. */
    public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;

    private FeatureStatsJobMain() {}

    public static void main(String[] args) throws Exception {
        MultipleParameterTool params = MultipleParameterTool.fromArgs(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(strictTypes());
        run(env, params);
    }

    /** Parses the arguments, configures {@code env} and runs the job on it. */
    public static JobExecutionResult run(StreamExecutionEnvironment env, MultipleParameterTool params)
            throws Exception {
        boolean unbounded = params.has("unbounded");
        FeatureStatsJobConfig config = config(params);
        env.enableCheckpointing(params.getLong("checkpoint-interval-ms", DEFAULT_CHECKPOINT_INTERVAL_MS));
        FeatureStatsJob.Endpoints endpoints = new FeatureStatsJob.Endpoints(
                params.getRequired("kafka"),
                TopicNames.withPrefix(params.get("topic-prefix", TopicNames.DEFAULT_PREFIX)),
                params.getRequired("clickhouse"),
                ClickHouseLogin.fromOptions(
                        params.get("clickhouse-user"),
                        params.has("clickhouse-password-file") ? Path.of(params.get("clickhouse-password-file")) : null,
                        System.getenv()),
                params.get("database", "scopeflow"),
                !unbounded);
        // Standalone, this is the one place the schema is brought up to date before the job writes to it.
        ClickHouseMigrations.apply(endpoints.clickHouse(), endpoints.database());
        return FeatureStatsJob.runRegistered(
                env, endpoints, config, params.get("model-id", ""), params.get("corpus", ""));
    }

    /** The job's config from the arguments (everything but endpoints and checkpointing). */
    public static FeatureStatsJobConfig config(MultipleParameterTool params) {
        FeatureStatsJobConfig.Builder config = FeatureStatsJobConfig.builder().setRunId(params.getRequired("run-id"));
        if (!params.has("sae")) {
            throw new IllegalArgumentException("at least one --sae ID=SITE=PATH is required");
        }
        for (String sae : params.getMultiParameterRequired("sae")) {
            config.addSae(parseSae(sae));
        }
        if (params.has("unbounded")) {
            config.optSnapshotInterval(Duration.ofMillis(params.getLong("snapshot-interval-ms", 10_000)));
        }
        config.optTopK(params.getInt("top-k", TopExamples.DEFAULT_K));
        if (params.has("store")) {
            for (String store : params.getMultiParameterRequired("store")) {
                addStorePolicy(config, store);
            }
        }
        config.optBackend(MatmulBackend.valueOf(params.get("backend", "auto").toUpperCase(Locale.ROOT)));
        config.optDevice(ComputeDevice.parse(params.get("device", "cpu")));
        config.optTorchThreads(params.getInt("torch-threads", 0));
        config.optTaskManagerCores(params.getInt("task-manager-cores", 0));
        config.optFailureRate(
                params.getInt("max-failures-per-interval", FeatureStatsJobConfig.DEFAULT_MAX_FAILURES_PER_INTERVAL),
                Duration.ofMillis(params.getLong(
                        "failure-rate-interval-ms", FeatureStatsJobConfig.DEFAULT_FAILURE_RATE_INTERVAL.toMillis())),
                Duration.ofMillis(
                        params.getLong("restart-delay-ms", FeatureStatsJobConfig.DEFAULT_RESTART_DELAY.toMillis())));
        return config.build();
    }

    /** {@code ID=SITE=PATH}, e.g. {@code res20=res.20=/saes/params.npz}. */
    public static SaeSpec parseSae(String text) {
        String[] parts = text.split("=", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException(
                    "--sae '" + text + "' is not ID=SITE=PATH (e.g. l20=res.20=/saes/params.npz)");
        }
        return new SaeSpec(parts[0], Site.parse(parts[1]), parts[2]);
    }

    /**
     * A {@code --store} value: {@code POLICY} for every SAE of the job, or {@code ID=POLICY} for one SAE, where
     * POLICY is {@code all}, {@code none}, {@code min-activation X} or {@code top-per-token N}
     * ({@link StorePolicy#parse}).
     */
    public static void addStorePolicy(FeatureStatsJobConfig.Builder config, String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            config.optStorePolicy(StorePolicy.parse(text));
        } else {
            config.optStorePolicy(text.substring(0, eq).strip(), StorePolicy.parse(text.substring(eq + 1)));
        }
    }

    /** Every type crossing the network has a POJO or explicit serializer; a Kryo fallback would be a bug. */
    public static Configuration strictTypes() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        return conf;
    }

    /**
     * {@link #strictTypes()} for an embedded MiniCluster, with its checkpoints on local disk under
     * {@code checkpointDir}: without a checkpoint storage Flink keeps checkpoints in the JobManager's memory, which
     * refuses an operator's state over 5 MB, and a 16k SAE's statistics state (histograms, top examples, interval
     * samples) outgrows that on a long run, failing every checkpoint and then the job.
     */
    public static Configuration localCluster(Path checkpointDir) {
        Configuration conf = strictTypes();
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                checkpointDir.toUri().toString());
        return conf;
    }
}
