package dev.scopeflow.flink.config;

import dev.scopeflow.sae.kernel.LibTorch;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.sae.stats.TokenFilter;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.RunId;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;

/**
 * What one statistics job computes: the run whose activations it reads, the SAEs it applies, which tokens
 * are left out of statistics, how many top examples it keeps, which activations it stores for each SAE, how
 * often it publishes snapshots, and how many failures it rides out before it gives up. Build with
 * {@link #builder()}.
 */
public final class FeatureStatsJobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_MAX_FAILURES_PER_INTERVAL = 3;
    public static final Duration DEFAULT_FAILURE_RATE_INTERVAL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_RESTART_DELAY = Duration.ofSeconds(10);

    private final String runId;
    private final List<SaeSpec> saes;
    private final int[] excludedTokenIds;
    private final long snapshotIntervalMillis;
    private final int topK;
    private final MatmulBackend backend;
    private final ComputeDevice device;
    /** libtorch intra-op threads per encode subtask; 0: {@link LibTorch#threadBudget} on each task manager. */
    private final int torchThreads;
    /** The cores the thread budget shares out; 0: each task manager's available processors. */
    private final int taskManagerCores;

    private final int maxFailuresPerInterval;
    private final Duration failureRateInterval;
    private final Duration restartDelay;
    /** SAE id → its {@link StorePolicy} in text form (the policy itself does not travel with the job graph). */
    private final Map<String, String> storePolicies;

    private FeatureStatsJobConfig(Builder b) {
        this.runId = b.runId;
        this.saes = List.copyOf(b.saes);
        this.excludedTokenIds = b.excludedTokenIds == null
                ? null
                : b.excludedTokenIds.stream()
                        .mapToInt(Integer::intValue)
                        .sorted()
                        .toArray();
        this.snapshotIntervalMillis = b.snapshotInterval.toMillis();
        this.topK = b.topK;
        this.backend = b.backend;
        this.device = b.device;
        this.torchThreads = b.torchThreads;
        this.taskManagerCores = b.taskManagerCores;
        this.maxFailuresPerInterval = b.maxFailuresPerInterval;
        this.failureRateInterval = b.failureRateInterval;
        this.restartDelay = b.restartDelay;
        Map<String, String> policies = new LinkedHashMap<>();
        for (SaeSpec sae : saes) {
            policies.put(
                    sae.saeId(),
                    b.storePolicies.getOrDefault(sae.saeId(), b.storePolicy).toString());
        }
        this.storePolicies = Map.copyOf(policies);
    }

    public static Builder builder() {
        return new Builder();
    }

    public String runId() {
        return runId;
    }

    public List<SaeSpec> saes() {
        return saes;
    }

    public long snapshotIntervalMillis() {
        return snapshotIntervalMillis;
    }

    public int topK() {
        return topK;
    }

    /** The encode kernel as asked for; AUTO is resolved on each task manager, where the kernel is built. */
    public MatmulBackend backend() {
        return backend;
    }

    /** Where the encode kernel runs on each task manager. */
    public ComputeDevice device() {
        return device;
    }

    /** {@code --torch-threads}: libtorch intra-op threads per encode subtask, or 0 for the budget. */
    public int torchThreads() {
        return torchThreads;
    }

    /** {@code --task-manager-cores}: the cores the budget shares out, or 0 for the task manager's processors. */
    public int taskManagerCores() {
        return taskManagerCores;
    }

    /**
     * libtorch intra-op threads for each encode subtask of a task manager that has {@code availableProcessors} and
     * runs {@code subtasksOnTaskManager} encode subtasks: {@link #torchThreads()} when set, else the cores
     * ({@link #taskManagerCores()}, else {@code availableProcessors}) shared out by {@link LibTorch#threadBudget},
     * so that subtasks × threads never exceeds them.
     */
    public int torchThreadsPerSubtask(int availableProcessors, int subtasksOnTaskManager) {
        if (torchThreads > 0) {
            return torchThreads;
        }
        return LibTorch.threadBudget(
                taskManagerCores > 0 ? taskManagerCores : availableProcessors, subtasksOnTaskManager);
    }

    /** What the job stores in {@code feature_activations} for this SAE of the job. */
    public StorePolicy storePolicy(String saeId) {
        String policy = storePolicies.get(saeId);
        if (policy == null) {
            throw new IllegalArgumentException("run " + runId + " has no SAE '" + saeId + "'");
        }
        return StorePolicy.parse(policy);
    }

    /** Whether the job stores any activation: false when every SAE's policy is {@code none}. */
    public boolean storesActivations() {
        return saes.stream().anyMatch(sae -> !storePolicy(sae.saeId()).storesNothing());
    }

    /**
     * Flink's failure-rate restart strategy for the job: a transient failure (a broker or ClickHouse restart the
     * sinks' retries did not ride out) is restarted from the last checkpoint, but a failure that repeats more than
     * {@code maxFailuresPerInterval} times within the interval fails the job instead of restarting it forever.
     */
    public Configuration restartStrategy() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "failure-rate");
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL, maxFailuresPerInterval);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL, failureRateInterval);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY, restartDelay);
        return conf;
    }

    /**
     * Which tokens count (default: all but Gemma's pad, EOS and BOS, which Gemma Scope SAEs were not trained
     * on); built where it is used, as the filter itself does not travel with the job graph.
     */
    public TokenFilter tokenFilter() {
        return excludedTokenIds == null ? TokenFilter.gemmaDefault() : TokenFilter.excluding(excludedTokenIds);
    }

    /** Builder: {@code set*} are required, {@code opt*} have defaults; {@link #build()} validates. */
    public static final class Builder {
        private String runId;
        private final List<SaeSpec> saes = new ArrayList<>();
        private Set<Integer> excludedTokenIds;
        private Duration snapshotInterval = Duration.ZERO;
        private int topK = TopExamples.DEFAULT_K;
        private ComputeDevice device = ComputeDevice.CPU;
        private MatmulBackend backend = MatmulBackend.AUTO;
        private int torchThreads;
        private int taskManagerCores;
        private int maxFailuresPerInterval = DEFAULT_MAX_FAILURES_PER_INTERVAL;
        private Duration failureRateInterval = DEFAULT_FAILURE_RATE_INTERVAL;
        private Duration restartDelay = DEFAULT_RESTART_DELAY;
        private StorePolicy storePolicy = StorePolicy.all();
        private final Map<String, StorePolicy> storePolicies = new LinkedHashMap<>();

        private Builder() {}

        public Builder setRunId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder addSae(SaeSpec sae) {
            saes.add(sae);
            return this;
        }

        /** Token ids left out of every statistic; default {@link TokenFilter#gemmaDefault()}. */
        public Builder optExcludedTokenIds(Set<Integer> ids) {
            this.excludedTokenIds = new HashSet<>(ids);
            return this;
        }

        /** How often to publish snapshots while running; zero (default) publishes only at end of input. */
        public Builder optSnapshotInterval(Duration interval) {
            this.snapshotInterval = interval;
            return this;
        }

        /** Top-activating examples kept per feature; default {@value TopExamples#DEFAULT_K}. */
        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        /**
         * The encode kernel; default AUTO: TORCH (libtorch through DJL, several times faster) on task managers
         * where libtorch loads, JAVA (no native code) elsewhere, decided by each task manager when the encoder
         * opens. TORCH fails the job where libtorch is missing. The kernels agree to float rounding only, so a run
         * should keep one kernel throughout (task managers that answer AUTO differently mix them).
         */
        public Builder optBackend(MatmulBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Where the TORCH kernel encodes on each task manager; default CPU. CUDA needs a GPU and the CUDA natives
         * on the task managers and fails the job's start where PyTorch sees no GPU; JAVA cannot use it.
         */
        public Builder optDevice(ComputeDevice device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /**
         * libtorch intra-op threads per encode subtask; default (0): the task manager's cores divided by the encode
         * subtasks it runs ({@link FeatureStatsJobConfig#torchThreadsPerSubtask}).
         */
        public Builder optTorchThreads(int threads) {
            this.torchThreads = threads;
            return this;
        }

        /**
         * The cores each task manager shares out among its encode subtasks; default (0): its available processors.
         * Set it when a task manager shares its machine with other work.
         */
        public Builder optTaskManagerCores(int cores) {
            this.taskManagerCores = cores;
            return this;
        }

        /**
         * Gives up when more than {@code maxFailures} failures happen within {@code interval}, restarting
         * {@code delay} after each; default {@value #DEFAULT_MAX_FAILURES_PER_INTERVAL} per 10 minutes, 10 s apart
         * (the sinks already retry ClickHouse for 3 minutes before a failure counts).
         */
        public Builder optFailureRate(int maxFailures, Duration interval, Duration delay) {
            this.maxFailuresPerInterval = maxFailures;
            this.failureRateInterval = Objects.requireNonNull(interval, "interval");
            this.restartDelay = Objects.requireNonNull(delay, "delay");
            return this;
        }

        /** What the job stores in {@code feature_activations} for every SAE without its own policy; default all. */
        public Builder optStorePolicy(StorePolicy policy) {
            this.storePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** What the job stores for one SAE of the job, instead of the job's policy. */
        public Builder optStorePolicy(String saeId, StorePolicy policy) {
            storePolicies.put(saeId, Objects.requireNonNull(policy, "policy"));
            return this;
        }

        public FeatureStatsJobConfig build() {
            RunId.validate(runId);
            if (saes.isEmpty()) {
                throw new IllegalArgumentException("run " + runId + ": at least one SAE is required");
            }
            Set<String> ids = new LinkedHashSet<>();
            for (SaeSpec sae : saes) {
                if (!ids.add(sae.saeId())) {
                    throw new IllegalArgumentException("run " + runId + ": SAE id '" + sae.saeId() + "' is used twice");
                }
            }
            for (String saeId : storePolicies.keySet()) {
                if (!ids.contains(saeId)) {
                    throw new IllegalArgumentException(
                            "run " + runId + ": a store policy names SAE '" + saeId + "', which is not one of " + ids);
                }
            }
            if (topK <= 0) {
                throw new IllegalArgumentException("run " + runId + ": top-k must be > 0, got " + topK);
            }
            backend.requireRunsOn(device);
            if (torchThreads < 0 || taskManagerCores < 0) {
                throw new IllegalArgumentException("run " + runId + ": torch threads and task manager cores must be"
                        + " >= 1 (or 0 for the default), got " + torchThreads + " and " + taskManagerCores);
            }
            if (snapshotInterval.isNegative()) {
                throw new IllegalArgumentException("snapshot interval must be >= 0, got " + snapshotInterval);
            }
            if (maxFailuresPerInterval < 1
                    || failureRateInterval.isNegative()
                    || failureRateInterval.isZero()
                    || restartDelay.isNegative()) {
                throw new IllegalArgumentException("run " + runId + ": failure rate needs >= 1 failure per positive"
                        + " interval and a delay >= 0, got " + maxFailuresPerInterval + " per " + failureRateInterval
                        + ", delay " + restartDelay);
            }
            return new FeatureStatsJobConfig(this);
        }
    }
}
